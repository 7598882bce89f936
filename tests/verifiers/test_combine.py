"""Composing verifiers with `&`, `|`, `~`: semantics, De Morgan, flattening, TOML kinds."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Sequence
from typing import Any

import pytest
from cascade.verifiers.base import Candidate, Task, Verdict, Verifier, run_verifier
from cascade.verifiers.combine import AllOf, AnyOf, Combinable, Not, all_, any_, not_
from cascade.verifiers.nonempty import NonEmpty
from cascade.verifiers.registry import build
from hypothesis import given
from hypothesis import strategies as st

TASK = Task(prompt="q")
CANDS = [Candidate("answer", "m/x", 0), Candidate("other", "m/x", 1)]


class Const(Combinable):
    """A verifier that always returns the same verdict."""

    def __init__(self, score: float, passed: bool | None = None, name: str = "c", **kw: Any):
        self.verdict = Verdict(score >= 0.5 if passed is None else passed, score, name=name, **kw)
        self.name = name

    def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        return self.verdict


def verdict_of(verifier: object) -> Verdict:
    assert isinstance(verifier, Verifier)
    return asyncio.run(run_verifier(verifier, CANDS, TASK))


def half(candidates: Sequence[Candidate], task: Task) -> float:
    return 0.5


scores = st.floats(0.0, 1.0)
consts = st.builds(Const, scores, st.booleans())


def trees(leaves: st.SearchStrategy[Const]) -> st.SearchStrategy[Verifier]:
    """Random expressions over ``&``, ``|`` and ``~``."""
    return st.recursive(
        leaves,
        lambda sub: st.one_of(
            st.tuples(sub, sub).map(lambda ab: ab[0] & ab[1]),
            st.tuples(sub, sub).map(lambda ab: ab[0] | ab[1]),
            sub.map(lambda a: ~a),
        ),
        max_leaves=6,
    )


def test_and_or_not() -> None:
    a, b = Const(0.3, name="a"), Const(0.8, name="b")
    both, either, neg = verdict_of(a & b), verdict_of(a | b), verdict_of(~a)
    assert (both.score, both.passed, both.name) == (0.3, False, "a&b")
    assert (either.score, either.passed, either.name) == (0.8, True, "a|b")
    assert neg.score == pytest.approx(0.7) and neg.passed and neg.name == "~a"
    assert both.reason == "a=0.30; b=0.80"


@given(consts, consts)
def test_de_morgan(a: Const, b: Const) -> None:
    for left, right in ((~(a & b), ~a | ~b), (~(a | b), ~a & ~b)):
        lv, rv = verdict_of(left), verdict_of(right)
        assert (lv.score, lv.passed) == (rv.score, rv.passed)


@given(trees(consts))
def test_scores_stay_in_the_unit_interval(tree: Verifier) -> None:
    assert 0.0 <= verdict_of(tree).score <= 1.0


def test_nested_groups_are_flattened() -> None:
    a, b, c, d = (Const(0.5, name=n) for n in "abcd")
    assert isinstance(left := (a & b) & c, AllOf) and left.parts == (a, b, c)
    assert isinstance(right := a & (b & c), AllOf) and right.parts == (a, b, c)
    assert isinstance(wide := (a | b) | (c | d), AnyOf) and len(wide.parts) == 4
    mixed = a | (b & c)
    assert isinstance(mixed, AnyOf) and len(mixed.parts) == 2 and mixed.name == "a|(b&c)"
    assert (~(a & b)).name == "~(a&b)"
    assert ~~a is a and not_(not_(a)) is a


def test_plain_functions_on_either_side() -> None:
    v = NonEmpty()
    for composite in (half & v, v & half, half | v, v | half):
        assert isinstance(composite, AllOf | AnyOf)
    assert (half & v).name == "half&non_empty" and (v | half).name == "non_empty|half"
    assert verdict_of(half & v).score == 0.5 and verdict_of(v | half).score == 1.0
    assert verdict_of(AllOf(half, half)).score == 0.5 and verdict_of(not_(half)).score == 0.5
    twice = ~Not(half)
    assert twice.name == "half" and verdict_of(twice).score == 0.5
    with pytest.raises(TypeError):
        _ = v & 3


def test_answer_comes_from_the_first_passing_part_with_a_value() -> None:
    picks = Const(1.0, name="picks", choice=0)
    parses = Const(1.0, name="parses", choice=1, value={"a": 1})
    failing = Const(0.0, name="failing", choice=0, value="wrong")
    v = verdict_of(failing | picks | parses)
    assert (v.choice, v.value) == (1, {"a": 1})
    assert verdict_of(picks & Const(1.0)).choice == 0
    assert verdict_of(~parses).choice is None


def test_costs_add_up() -> None:
    v = verdict_of(Const(1.0, cost_usd=0.25) & ~Const(0.0, cost_usd=0.5) | Const(0.1))
    assert v.cost_usd == 0.75


async def test_async_parts_run_concurrently() -> None:
    first, second = asyncio.Event(), asyncio.Event()

    def waiter(mine: asyncio.Event, other: asyncio.Event, name: str) -> Any:
        async def verify(candidates: Sequence[Candidate], task: Task) -> bool:
            mine.set()
            await other.wait()  # deadlocks unless both parts run at the same time
            return True

        verify.__name__ = name
        return verify

    both = AllOf(waiter(first, second, "a"), waiter(second, first, "b"))
    verdict = await asyncio.wait_for(run_verifier(both, CANDS, TASK), timeout=2.0)
    assert verdict.passed and verdict.name == "a&b"


async def test_a_failing_part_raises_itself_and_stops_the_others() -> None:
    stopped = asyncio.Event()

    async def slow(candidates: Sequence[Candidate], task: Task) -> bool:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            stopped.set()
            raise
        return True

    def broken(candidates: Sequence[Candidate], task: Task) -> bool:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await run_verifier(AllOf(slow, broken), CANDS, TASK)
    await asyncio.wait_for(stopped.wait(), timeout=1.0)


def test_toml_composes_registered_kinds() -> None:
    spec = tomllib.loads(
        """
        kind = "all"
        of = [{kind = "non_empty"}, {kind = "not", of = {kind = "non_empty", min_chars = 10}}]
        """
    )
    v = build(spec.pop("kind"), spec)
    assert isinstance(v, AllOf) and v.name == "non_empty&~non_empty"
    assert isinstance(v.parts[1], Not)
    assert verdict_of(v).passed
    named = build("any", {"of": [{"kind": "non_empty"}], "name": "some"})
    assert named.name == "some" and isinstance(named, AnyOf)
    assert build("not", {"of": [{"kind": "non_empty"}]}).name == "~non_empty"


@pytest.mark.parametrize(
    ("kind", "params", "error", "match"),
    [
        ("all", {"of": {"kind": "non_empty"}}, ValueError, "must be a list"),
        ("all", {"of": []}, ValueError, "at least one"),
        ("any", {"of": [{"min_chars": 2}]}, ValueError, r"any\.of\[0\]: each verifier needs"),
        ("all", {"of": [{"kind": "nope"}]}, LookupError, r"all\.of\[0\]: unknown verifier kind"),
        ("all", {"of": [{"kind": "non_empty", "x": 1}]}, TypeError, r"^all\.of\[0\]: verifier"),
        ("not", {"of": {"kind": "non_empty", "min_chars": 0}}, ValueError, "not.of: min_chars"),
        ("not", {"of": [{"kind": "non_empty"}] * 2}, ValueError, "exactly one"),
        ("all", {"of": [3]}, ValueError, "expected a verifier table"),
    ],
)
def test_bad_toml_is_a_clear_error(
    kind: str, params: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        build(kind, params)


def test_code_built_parts_are_accepted() -> None:
    v = all_([half, NonEmpty()])
    assert v.name == "half&non_empty" and any_([half]).name == "half"
    assert repr(Not(half)) == "Not(FunctionVerifier(half))"
