"""The schema verifier: JSON found in answers, validated against a JSON Schema and a model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import AllOf
from cascade.verifiers.nonempty import NonEmpty
from cascade.verifiers.registry import build
from cascade.verifiers.schema import Schema, schema
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, field_validator

ORDER = {
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
                "required": ["name", "price"],
            },
        },
    },
    "required": ["customer", "items"],
}
GOOD = {"customer": "Ada", "items": [{"name": "tea", "price": 3.5}]}


class Item(BaseModel):
    name: str
    price: float

    @field_validator("price")
    @classmethod
    def _positive(cls, price: float) -> float:
        if price <= 0:
            raise ValueError("price must be positive")
        return price


class Order(BaseModel):
    customer: str
    items: list[Item]


def cands(*texts: str) -> list[Candidate]:
    return [Candidate(text, "m/x", i) for i, text in enumerate(texts)]


def task(schema: Mapping[str, Any] | None = ORDER, model_class: type | None = None) -> Task:
    return Task(
        prompt="Return the order as JSON.", kind="json", schema=schema, model_class=model_class
    )


def fenced(value: object) -> str:
    return f"Here is the order:\n```json\n{json.dumps(value)}\n```\nAnything else?"


def check(*texts: str, on: Task | None = None, **params: Any) -> Verdict:
    return Schema(**params)(cands(*texts), on or task())


def test_valid_json_in_a_fence_whole_or_inline() -> None:
    for text in (fenced(GOOD), json.dumps(GOOD), f"Sure: {json.dumps(GOOD)} - enjoy"):
        v = check(text)
        assert (v.passed, v.score, v.choice, v.value, v.name) == (True, 1.0, 0, GOOD, "schema")


def test_score_is_the_share_of_valid_candidates_and_choice_the_first() -> None:
    items = [{"name": "a", "price": 1}, {"name": "b", "price": 2}, {"name": "c", "price": "abc"}]
    bad = {"customer": "Bob", "items": items}
    v = check("no idea", fenced(bad), json.dumps(GOOD), fenced(GOOD))
    assert (v.score, v.passed, v.choice, v.value) == (0.5, True, 2, GOOD)
    assert v.reason == "2/4 candidates valid; candidate 0: no JSON found"
    assert (
        "candidate 0: $.items[2].price: 'abc' is not of type 'number'" in check(fenced(bad)).reason
    )


def test_missing_field_and_wrong_root() -> None:
    assert check('{"customer": "Ada"}').reason.endswith("$: 'items' is a required property")
    assert check("[1, 2]").reason.endswith("$: [1, 2] is not of type 'object'")


def test_require_all() -> None:
    v = check(fenced(GOOD), "nothing", require_all=True)
    assert (v.passed, v.score, v.choice) == (False, 0.5, 0)
    assert check(fenced(GOOD), json.dumps(GOOD), require_all=True).passed


def test_without_a_schema_any_json_document_passes() -> None:
    v = check("plain words", "[1, 2, 3]", on=task(schema=None))
    assert (v.score, v.choice, v.value) == (0.5, 1, [1, 2, 3])
    assert v.reason == "1/2 candidates JSON (no schema given); candidate 0: no JSON found"


def test_inline_json_can_be_refused() -> None:
    v = check(f"Sure: {json.dumps(GOOD)} - enjoy", inline=False)
    assert not v.passed and "JSON only inside prose" in v.reason
    assert check(fenced(GOOD), inline=False).passed


def test_model_class_gives_an_instance() -> None:
    v = check(fenced(GOOD), on=task(Order.model_json_schema(), Order))
    assert v.passed and v.value == Order(customer="Ada", items=[Item(name="tea", price=3.5)])


def test_model_class_checks_what_the_schema_cannot() -> None:
    free = {"customer": "Ada", "items": [{"name": "tea", "price": -1}]}
    v = check(fenced(free), on=task(Order.model_json_schema(), Order))
    assert not v.passed and v.value is None
    assert "candidate 0: $.items[0].price: Value error, price must be positive" in v.reason
    only_model = check('{"customer": "Ada", "items": [{"name": 1}]}', on=task(None, Order))
    assert "$.items[0].name: Input should be a valid string (and 1 more)" in only_model.reason


def test_the_schema_draft_is_honoured() -> None:
    pair = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "array",
        "items": [{"type": "string"}, {"type": "integer"}],
    }
    assert check('["a", 1]', on=task(pair)).passed
    assert "$[1]: 'x' is not of type 'integer'" in check('["a", "x"]', on=task(pair)).reason
    tuple_2020 = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}
    assert not check('["a", "x"]', on=task(tuple_2020)).passed


def test_formats_are_checked_unless_turned_off() -> None:
    dated = {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
    answer = '{"day": "2024-13-45"}'
    assert "is not a 'date'" in check(answer, on=task(dated)).reason
    assert check(answer, on=task(dated), check_formats=False).passed


def test_an_invalid_schema_is_the_callers_error() -> None:
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        check("{}", on=task({"type": "no-such-type"}))


def test_no_candidates() -> None:
    v = Schema()([], task())
    assert (v.passed, v.score, v.reason) == (False, 0.0, "no candidates")


@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_score_is_the_share_valid(valid: list[bool]) -> None:
    v = check(*(fenced(GOOD) if ok else '{"customer": 1}' for ok in valid))
    assert v.score == sum(valid) / len(valid)
    assert v.choice == (valid.index(True) if any(valid) else None)


def test_registered_and_combinable() -> None:
    built = build("schema", {"require_all": True})
    assert isinstance(built, Schema) and built.require_all
    both = schema() & NonEmpty()
    assert isinstance(both, AllOf) and both.name == "schema&non_empty"
    with pytest.raises(TypeError, match="valid parameters: require_all, inline, check_formats"):
        build("schema", {"strict": True})
