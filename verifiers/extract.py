"""Answer extraction: map a model's answer text to a canonical, hashable key per task kind.

Two answers that mean the same thing get the same key, so that a vote can count them together;
None means no answer could be found. The functions are pure and never run model code.

| kind   | key                                            | from                          |
| ------ | ---------------------------------------------- | ----------------------------- |
| math   | canonical number: `42`, `0.75`, `-1/3`         | `extract_math`                |
| choice | option letter `A`..                            | `extract_choice`              |
| qa     | normalized short text, dates as `MM/DD/YYYY`   | `extract_qa`                  |
| json   | canonical JSON (sorted keys, no spaces)        | `extract_json` + `json_key`   |
| code   | AST dump without docstrings                    | `extract_code` + `code_key`   |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from cascade.verifiers.extract_choice import Choices, choices_from_prompt, extract_choice
from cascade.verifiers.extract_code import code_key, extract_code
from cascade.verifiers.extract_json import JsonMatch, extract_json, json_key
from cascade.verifiers.extract_math import extract_math
from cascade.verifiers.extract_numbers import canonical_number, parse_number
from cascade.verifiers.extract_program import program_answer
from cascade.verifiers.extract_qa import extract_qa, normalize_qa

__all__ = [
    "KINDS",
    "JsonMatch",
    "TaskKind",
    "canonical_number",
    "choices_from_prompt",
    "code_key",
    "extract_answer",
    "extract_choice",
    "extract_code",
    "extract_json",
    "extract_math",
    "extract_qa",
    "json_key",
    "normalize_qa",
    "parse_number",
    "program_answer",
]

TaskKind = Literal["math", "choice", "qa", "json", "code"]
"""The task kinds answers can be extracted for."""

KINDS: tuple[str, ...] = get_args(TaskKind)
"""`TaskKind` as a tuple of strings."""


def _choices(public: Mapping[str, Any] | None) -> Choices | None:
    """The options offered in `public`, under `choices` or `options`, if any."""
    if not public:
        return None
    found = public.get("choices", public.get("options"))
    return found if isinstance(found, Mapping | list | tuple) else None


def _entry_point(public: Mapping[str, Any] | None) -> str | None:
    """The function name a code task asks for, when `public` gives one."""
    found = (public or {}).get("entry_point")
    return found if isinstance(found, str) and found else None


def extract_answer(text: str, kind: str, public: Mapping[str, Any] | None = None) -> str | None:
    """The canonical answer key of `text` for a task `kind`, or None when none is found.

    `public` is the task's verifier-visible input: `choices`/`options` for choice tasks,
    `entry_point` for code tasks; other fields are ignored.
    """
    if kind == "math":
        return extract_math(text)
    if kind == "choice":
        return extract_choice(text, _choices(public))
    if kind == "qa":
        return extract_qa(text)
    if kind == "json":
        found = extract_json(text)
        return None if found is None else json_key(found.value)
    if kind == "code":
        code = extract_code(text, _entry_point(public))
        return None if code is None else code_key(code)
    raise ValueError(f"unknown task kind {kind!r}; expected one of {', '.join(KINDS)}")
