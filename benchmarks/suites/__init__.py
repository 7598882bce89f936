"""Benchmark suites: deterministic task lists, each with its own answer grading.

A task is ``{id, prompt, reference, public}`` as in a recording line (format
``cascade-recordings/1``): ``reference`` is ground truth for scoring only, ``public`` what a
verifier may see. A suite also grades a model's answer text: ``grade(task, text)`` returns the
extracted answer (or None) and whether it is correct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SUITES", "Graded", "Suite", "Task", "get_suite"]


@dataclass(frozen=True, slots=True)
class Task:
    """One prompt of a suite, with its ground truth and its verifier-visible inputs."""

    id: str
    prompt: str
    reference: Mapping[str, Any]
    public: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The task as the head of a recording line."""
        return {
            "id": self.id,
            "prompt": self.prompt,
            "reference": dict(self.reference),
            "public": None if self.public is None else dict(self.public),
        }


@dataclass(frozen=True, slots=True)
class Graded:
    """A model answer as graded: the extracted answer (None when none was found), correctness."""

    answer: str | None
    correct: bool


@dataclass(frozen=True, slots=True)
class Suite:
    """A named task list with its task kind, answer budget, grading and provenance."""

    name: str
    task_kind: str
    max_tokens: int
    tasks: Callable[[], list[Task]]
    grade: Callable[[Task, str], Graded]
    source: str
    license: str
    grading_note: str


def _humaneval() -> Suite:
    from benchmarks.suites import humaneval

    return humaneval.SUITE


def _json() -> Suite:
    from benchmarks.suites import jsonx

    return jsonx.SUITE


def _math() -> Suite:
    from benchmarks.suites import mathgen

    return mathgen.SUITE


SUITES: Mapping[str, Callable[[], Suite]] = {
    "humaneval": _humaneval,
    "json": _json,
    "math": _math,
}
"""The suites by name, each built on first use."""


def get_suite(name: str) -> Suite:
    """The suite called ``name``; a ValueError lists the valid names."""
    try:
        return SUITES[name]()
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; choose one of {', '.join(SUITES)}") from None
