"""Verifiers composed with operators: ``a & b`` (all), ``a | b`` (any), ``~a`` (not).

| form    | passed           | score              |
| ------- | ---------------- | ------------------ |
| `a & b` | every part       | least part score   |
| `a | b` | any part         | best part score    |
| `~a`    | `a` did not pass | `1 - a`'s score    |

Nested groups of one kind are flattened (`(a & b) & c` is one group of three) and `~~a` is `a`.
Plain functions are accepted on either side of an operator; two plain functions have no
operators, so wrap one (``as_verifier(f) & g``: a `FunctionVerifier` has them) or write
``AllOf(f, g)``, ``AnyOf(f, g)``, ``not_(f)``. A group's parts run concurrently and their
verifying costs add up. A group's answer (`choice`, `value`) comes from its parts: passing parts
first, and among them the first that parsed a value (so that `value` belongs to the candidate
`choice` names), else the first that chose a candidate. ``~a`` chooses nothing: the candidate
``a`` would pick is the one ``~a`` rejects.

In TOML: ``kind = "all"`` (or ``"any"``) with ``of = [{kind = "schema"}, {kind = "non_empty"}]``,
``kind = "not"`` with ``of = {kind = "..."}``; each takes an optional ``name``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from cascade.verifiers.base import (
    Candidate,
    Combinable,
    Task,
    Verdict,
    Verifier,
    as_verifier,
    is_cooperative,
    run_verifier,
)
from cascade.verifiers.registry import build, register

__all__ = ["AllOf", "AnyOf", "Combinable", "Not", "all_", "any_", "not_"]


class _Group(Combinable):
    """Parts judged concurrently and folded into one verdict."""

    symbol: ClassVar[str]

    def __init__(self, *parts: object, name: str | None = None) -> None:
        flat: list[Verifier] = []
        for part in parts:
            verifier = as_verifier(part)
            if isinstance(verifier, _Group) and type(verifier) is type(self):
                flat.extend(verifier.parts)
            else:
                flat.append(verifier)
        if not flat:
            raise ValueError(f"{type(self).__name__} needs at least one verifier")
        self.parts: tuple[Verifier, ...] = tuple(flat)
        self.name = name or self.symbol.join(_label(part) for part in self.parts)
        self.cooperative = all(is_cooperative(part) for part in self.parts)

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Judge every part concurrently and fold their verdicts."""
        jobs = [asyncio.ensure_future(run_verifier(part, candidates, task)) for part in self.parts]
        try:
            verdicts = await asyncio.gather(*jobs)
        except BaseException:
            for job in jobs:  # a part's error propagates as itself; the others are stopped
                job.cancel()
            raise
        passed = self._passed([v.passed for v in verdicts])
        score = self._score([v.score for v in verdicts])
        choice, value = _answer(verdicts)
        return Verdict(
            passed=passed,
            score=score,
            reason="; ".join(_summary(v) for v in verdicts),
            cost_usd=sum(v.cost_usd for v in verdicts),
            choice=choice,
            name=self.name,
            value=value,
        )

    def _passed(self, passed: list[bool]) -> bool:
        raise NotImplementedError

    def _score(self, scores: list[float]) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.parts))})"


class AllOf(_Group):
    """Passes when every part passes; the score is the least part score."""

    symbol = "&"

    def _passed(self, passed: list[bool]) -> bool:
        return all(passed)

    def _score(self, scores: list[float]) -> float:
        return min(scores)


class AnyOf(_Group):
    """Passes when any part passes; the score is the best part score."""

    symbol = "|"

    def _passed(self, passed: list[bool]) -> bool:
        return any(passed)

    def _score(self, scores: list[float]) -> float:
        return max(scores)


class Not(Combinable):
    """Passes when its part does not; the score is ``1 - score``."""

    def __init__(self, part: object, name: str | None = None) -> None:
        self.part = as_verifier(part)
        self.name = name or "~" + _label(self.part)
        self.cooperative = is_cooperative(self.part)

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Judge the part and invert its verdict."""
        inner = await run_verifier(self.part, candidates, task)
        return Verdict(
            passed=not inner.passed,
            score=1.0 - inner.score,
            reason=f"inverts {_summary(inner)}",
            cost_usd=inner.cost_usd,
            name=self.name,
        )

    def __invert__(self) -> Combinable:
        """``~~a`` is ``a`` (a plain function comes back as a group of one)."""
        return self.part if isinstance(self.part, Combinable) else AllOf(self.part)

    def __repr__(self) -> str:
        return f"Not({self.part!r})"


def _label(verifier: Verifier) -> str:
    """A part's name inside a composite name, bracketed when it is itself a group."""
    return f"({verifier.name})" if isinstance(verifier, _Group) else verifier.name


def _summary(verdict: Verdict) -> str:
    text = f"{verdict.name}={verdict.score:.2f}"
    return f"{text} ({verdict.reason})" if verdict.reason else text


def _answer(verdicts: Sequence[Verdict]) -> tuple[int | None, Any]:
    """The (choice, value) of the first passing part with a value, else with a choice."""
    ordered = sorted(verdicts, key=lambda v: not v.passed)
    for v in ordered:
        if v.value is not None:
            return v.choice, v.value
    return next(((v.choice, None) for v in ordered if v.choice is not None), (None, None))


def _part(spec: object, where: str) -> Verifier:
    """A verifier from a TOML table (``kind`` and parameters) or a verifier object."""
    if isinstance(spec, Mapping):
        params = dict(spec)
        kind = params.pop("kind", None)
        if not isinstance(kind, str):
            raise ValueError(f"{where}: each verifier needs a 'kind', got {dict(spec)!r}")
        try:
            return build(kind, params)
        except (LookupError, TypeError, ValueError) as exc:
            base = next(b for b in (LookupError, TypeError, ValueError) if isinstance(exc, b))
            raise base(f"{where}: {exc}") from exc
    if callable(spec):
        return as_verifier(spec)
    raise ValueError(f"{where}: expected a verifier table such as {{kind = ...}}, got {spec!r}")


def _parts(of: object, kind: str) -> list[Verifier]:
    if isinstance(of, Mapping) or not isinstance(of, Sequence) or isinstance(of, str):
        raise ValueError(f"{kind}.of must be a list of verifiers, got {of!r}")
    return [_part(spec, f"{kind}.of[{i}]") for i, spec in enumerate(of)]


@register("all")
def all_(of: Sequence[object], name: str | None = None) -> AllOf:
    """Every verifier of ``of`` must pass; the score is the least of theirs."""
    return AllOf(*_parts(of, "all"), name=name)


@register("any")
def any_(of: Sequence[object], name: str | None = None) -> AnyOf:
    """Any verifier of ``of`` may pass; the score is the best of theirs."""
    return AnyOf(*_parts(of, "any"), name=name)


@register("not")
def not_(of: object, name: str | None = None) -> Verifier:
    """Passes when ``of`` (one verifier, or a list of one) fails; ``not_(not_(a))`` is ``a``."""
    if isinstance(of, Sequence) and not isinstance(of, str):
        if len(of) != 1:
            raise ValueError(f"not.of takes exactly one verifier, got {len(of)}")
        of = of[0]
    part = _part(of, "not.of")
    if isinstance(part, Not) and name is None:
        return part.part
    return Not(part, name=name)
