"""Verdicts, the verifier protocol, wrapping plain functions, the registry, non_empty."""

from __future__ import annotations

import math
from typing import cast

import pytest
from cascade.verifiers import (
    AllOf,
    AnyOf,
    Candidate,
    Combinable,
    FunctionVerifier,
    Not,
    Task,
    Verdict,
    as_verifier,
    build,
    kinds,
    non_empty,
    run_verifier,
)

TASK = Task(prompt="q")


def cands(*texts: str) -> list[Candidate]:
    return [Candidate(t, "m/x", i) for i, t in enumerate(texts)]


@pytest.mark.parametrize("score", [-0.1, 1.1, math.nan])
def test_verdict_score_must_be_in_unit_interval(score: float) -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Verdict(True, score)


def test_verdict_of_bool() -> None:
    assert Verdict.of(True).score == 1.0 and Verdict.of(False).score == 0.0


async def test_plain_functions_are_wrapped() -> None:
    def good(cs: object, task: object) -> bool:
        return True

    async def half(cs: object, task: object) -> float:
        return 0.5

    v = as_verifier(good)
    assert isinstance(v, FunctionVerifier) and v.name == "good"
    assert (await run_verifier(v, cands("a"), TASK)).score == 1.0
    verdict = await run_verifier(as_verifier(half), cands("a"), TASK)
    assert (verdict.score, verdict.passed, verdict.name) == (0.5, True, "half")


async def test_wrapped_functions_combine_with_operators() -> None:
    def yes(cs: object, task: object) -> bool:
        return True

    def no(cs: object, task: object) -> bool:
        return False

    wrapped = as_verifier(yes)
    assert isinstance(wrapped, Combinable)
    both, either, inverted = wrapped & no, no | wrapped, ~as_verifier(no)
    assert isinstance(both, AllOf) and both.name == "yes&no"
    assert isinstance(either, AnyOf) and either.name == "no|yes"
    assert isinstance(inverted, Not) and inverted.name == "~no"
    assert not (await run_verifier(both, cands("a"), TASK)).passed
    assert (await run_verifier(either, cands("a"), TASK)).passed
    assert (await run_verifier(inverted, cands("a"), TASK)).score == 1.0
    assert ~inverted is cast(object, inverted.part) and ~~wrapped is wrapped


def test_combinable_is_one_class_wherever_it_is_imported() -> None:
    from cascade.verifiers import base, combine

    assert Combinable is base.Combinable is combine.Combinable


async def test_bad_return_type_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="expected a Verdict, a bool or a float"):
        await run_verifier(as_verifier(lambda c, t: "yes"), cands("a"), TASK)
    with pytest.raises(TypeError, match="not a verifier"):
        as_verifier(42)


async def test_non_empty() -> None:
    v = non_empty()
    verdict = await run_verifier(v, cands("", "  ", "x", "y"), TASK)
    assert (verdict.score, verdict.choice, verdict.passed) == (0.5, 2, True)
    assert (await run_verifier(v, cands(" "), TASK)).passed is False
    assert (await run_verifier(non_empty(min_chars=3), cands("ab"), TASK)).score == 0.0
    with pytest.raises(ValueError):
        non_empty(min_chars=0)


def test_registry_builds_and_reports_valid_choices() -> None:
    assert "non_empty" in kinds()
    assert build("non_empty", {"min_chars": 2}).name == "non_empty"
    with pytest.raises(LookupError, match=r"valid kinds: .*non_empty"):
        build("nope", {})
    with pytest.raises(TypeError, match="valid parameters: min_chars"):
        build("non_empty", {"max": 1})
