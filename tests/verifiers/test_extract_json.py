"""JSON answers: where they are found and their canonical key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cascade.verifiers.extract_json import extract_json, json_key
from hypothesis import given, settings
from hypothesis import strategies as st


def test_fenced_json_wins() -> None:
    text = 'Example {"draft": 1}\n```json\n{"b": 2, "a": 1}\n```'
    found = extract_json(text)
    assert found is not None
    assert found.where == "fence"
    assert found.value == {"a": 1, "b": 2}


def test_whole_text() -> None:
    found = extract_json('  [1, "two", null]\n')
    assert found is not None
    assert (found.value, found.where, found.start, found.end) == ([1, "two", None], "whole", 2, 18)


def test_null_is_found_not_missing() -> None:
    found = extract_json("null")
    assert found is not None
    assert found.value is None


def test_each_call_parses_its_own_value() -> None:
    text = 'Result: {"items": [1, 2]}'
    first = extract_json(text)
    assert first is not None
    first.value["items"].append(3)  # a caller may change what it got
    again = extract_json(text)
    assert again is not None
    assert (again.value, again.where) == ({"items": [1, 2]}, "inline")


def test_first_balanced_inline_value() -> None:
    text = 'Here you go: {"name": "a}b", "tags": ["x"]} and {"other": 1}.'
    found = extract_json(text)
    assert found is not None
    assert found.where == "inline"
    assert text[found.start : found.end] == '{"name": "a}b", "tags": ["x"]}'


def test_skips_brackets_that_are_not_json() -> None:
    found = extract_json('Use {braces} or [a, b], then: {"ok": true}')
    assert found is not None
    assert found.value == {"ok": True}


def test_untagged_fence_and_other_languages() -> None:
    assert extract_json("```\n[1, 2]\n```") is not None
    found = extract_json('```python\nx = {"a": 1}\n```')
    assert found is not None
    assert found.where == "inline"


@pytest.mark.parametrize("text", ["", "no json", "{'a': 1}", '{"a": NaN}', '{"a": 1,}', "{{{"])
def test_not_json(text: str) -> None:
    assert extract_json(text) is None


def test_json_key_is_canonical() -> None:
    assert json_key({"b": [1.0, 2.5], "a": "é"}) == '{"a":"é","b":[1,2.5]}'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(deadline=None, max_examples=200)
@given(
    json_values,
    st.sampled_from([None, 2]),
    st.sampled_from(["{}", "```json\n{}\n```", "Result:\n{}\nDone."]),
)
def test_layout_variants_share_a_key(value: Any, indent: int | None, wrapper: str) -> None:
    text = wrapper.format(json.dumps(value, indent=indent))
    found = extract_json(text)
    if not isinstance(value, dict | list) and wrapper.startswith("Result"):
        return
    assert found is not None
    assert json_key(found.value) == json_key(value)


@given(json_values)
def test_json_key_is_a_fixed_point(value: Any) -> None:
    key = json_key(value)
    assert json_key(json.loads(key)) == key
