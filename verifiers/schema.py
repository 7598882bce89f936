"""The ``schema`` verifier: each candidate's JSON must satisfy the task's JSON Schema.

JSON is taken from a fenced block, the whole answer or (with ``inline``) the first JSON value
inside prose (`extract_json`). It is validated with jsonschema against ``task.schema``, under
the draft its ``$schema`` names (Draft 2020-12 when it names none), formats checked; when
``task.model_class`` is set the value must also validate as that class (pydantic), and the
instance becomes the verdict's ``value``. A task without schema or class only asks for JSON.

The score is the share of valid candidates; ``choice`` is the first valid one and ``value`` its
parsed answer. The reason names the first failure: the JSON path and the message, such as
``$.items[2].price: 'abc' is not of type 'number'``, or that no JSON was found.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
import pydantic
from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import Combinable
from cascade.verifiers.extract_json import extract_json
from cascade.verifiers.registry import register
from jsonschema.exceptions import SchemaError, best_match
from jsonschema.protocols import Validator

__all__ = ["Schema", "schema"]

_MAX_MESSAGE = 200


@dataclass(frozen=True, slots=True)
class _Checked:
    """One candidate's outcome: its parsed answer, or why it failed."""

    ok: bool
    value: Any = None
    error: str = ""


class Schema(Combinable):
    """Scores the share of candidates whose JSON satisfies the task's schema (and model class)."""

    def __init__(
        self, require_all: bool = False, inline: bool = True, check_formats: bool = True
    ) -> None:
        self.require_all = require_all
        self.inline = inline
        self.check_formats = check_formats
        self.name = "schema"

    def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Validate every candidate; score the share that is valid."""
        validator = _validator(task.schema, self.check_formats) if task.schema else None
        checked = [self.check(c.text, validator, task.model_class) for c in candidates]
        good = [i for i, c in enumerate(checked) if c.ok]
        first = good[0] if good else None
        enough = len(good) == len(candidates) if self.require_all else bool(good)
        return Verdict(
            passed=bool(candidates) and enough,
            score=len(good) / len(candidates) if candidates else 0.0,
            reason=_reason(checked, task),
            choice=first,
            name=self.name,
            value=None if first is None else checked[first].value,
        )

    def check(self, text: str, validator: Validator | None, model_class: type | None) -> _Checked:
        """One answer: find its JSON, validate it against the schema, then the model class."""
        found = extract_json(text)
        if found is None:
            return _Checked(False, error="no JSON found")
        if found.where == "inline" and not self.inline:
            return _Checked(False, error="JSON only inside prose (inline = false)")
        if validator is not None:
            error = best_match(validator.iter_errors(found.value))
            if error is not None:
                return _Checked(False, error=f"{error.json_path}: {_short(error.message)}")
        if model_class is None:
            return _Checked(True, found.value)
        try:
            return _Checked(True, _adapter(model_class).validate_python(found.value))
        except pydantic.ValidationError as exc:
            return _Checked(False, error=_model_error(exc))

    def __repr__(self) -> str:
        return f"Schema(require_all={self.require_all}, inline={self.inline})"


# The class itself is the registered factory: its constructor's parameters are the TOML ones.
schema = register("schema")(Schema)


def _validator(schema: Mapping[str, Any], check_formats: bool) -> Validator:
    """A validator for ``schema``; an invalid schema is the caller's error (ValueError)."""
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"task.schema is not JSON: {exc}") from exc
    return _cached_validator(key, check_formats)


@functools.lru_cache(maxsize=1024)
def _cached_validator(key: str, check_formats: bool) -> Validator:
    schema = json.loads(key)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"task.schema is not a valid JSON Schema: {exc.message}") from exc
    checker = cls.FORMAT_CHECKER if check_formats else None
    return cls(schema, format_checker=checker)


@functools.lru_cache(maxsize=64)
def _adapter(model_class: type) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(model_class)


def _model_error(exc: pydantic.ValidationError) -> str:
    """The first error of a pydantic validation as ``path: message (and n more)``."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{_path(first['loc'])}: {_short(first['msg'])}{more}"


def _path(loc: Sequence[int | str]) -> str:
    """A pydantic location as a JSON path: ``$.items[2].price``."""
    parts = ["$"]
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif key.isidentifier():
            parts.append(f".{key}")
        else:
            parts.append(f"[{json.dumps(key)}]")
    return "".join(parts)


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def _reason(checked: Sequence[_Checked], task: Task) -> str:
    if not checked:
        return "no candidates"
    good = sum(c.ok for c in checked)
    what = "valid" if task.schema or task.model_class else "JSON (no schema given)"
    head = f"{good}/{len(checked)} candidates {what}"
    bad = next(((i, c) for i, c in enumerate(checked) if not c.ok), None)
    return head if bad is None else f"{head}; candidate {bad[0]}: {bad[1].error}"
