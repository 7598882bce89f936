"""Invariants of the cascade loop over random ladders, answers, failures and budgets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cascade import BudgetExceeded, CallRequest, Completion, ProviderError, Result
from cascade.errors import BadRequest, RateLimited
from tests.builders import PRICES, engine, policy

MODELS = list(PRICES)


@dataclass
class World:
    """What each (model, sample) answers: a good or bad text with some tokens, or a failure."""

    outcomes: dict[tuple[str, int], tuple[str, int]]
    calls: int = 0
    failed: int = 0

    def __call__(self, req: CallRequest) -> Completion:
        self.calls += 1
        kind, tokens = self.outcomes[(req.model, req.sample)]
        if kind == "retryable":
            self.failed += 1
            raise RateLimited("429")
        if kind == "fatal":
            self.failed += 1
            raise BadRequest("400")
        return Completion(kind, 10, tokens)


outcome = st.tuples(
    st.sampled_from(["good", "bad", "retryable", "fatal"]), st.integers(min_value=0, max_value=50)
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, int, float, World, float | None]:
    n = draw(st.integers(1, 3))
    samples = draw(st.integers(1, 3))
    threshold = draw(st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]))
    outs = {(m, s): draw(outcome) for m in MODELS[:n] for s in range(samples)}
    budget = draw(st.one_of(st.none(), st.floats(1e-5, 0.05)))
    return n, samples, threshold, World(outs), budget


def _run(
    n: int, samples: int, threshold: float, world: World, budget: float | None
) -> Result | ProviderError | BudgetExceeded:
    pol = policy(MODELS[:n], threshold=threshold, samples=samples)
    try:
        return engine(world).run("q", pol, max_cost_usd=budget)
    except (ProviderError, BudgetExceeded) as exc:
        return exc


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_cascade_invariants(case: tuple[int, int, float, World, float | None]) -> None:
    n, samples, threshold, world, budget = case
    out = _run(n, samples, threshold, world, budget)
    trace = out.trace
    calls = [e for e in trace if e.kind == "call"]
    errors = [e for e in trace if e.kind == "error"]
    # events match calls: one call event per answered call, one error event per failed one
    assert len(calls) + len(errors) == world.calls
    assert len(errors) == world.failed
    step_cost = sum(e.cost_usd or 0 for e in trace if e.kind in ("call", "verdict"))
    if isinstance(out, Result):
        # cost equals the sum of the steps
        assert out.cost_usd == pytest.approx(step_cost)
        if budget is not None:
            assert out.cost_usd <= budget + 1e-12
        if out.accepted:
            # no tier above the accepted one is called
            assert all((e.tier or 0) <= out.tier for e in trace)
    elif isinstance(out, BudgetExceeded):
        assert out.spent_usd <= out.budget_usd + 1e-12
    # a passing tier is never escalated
    for e in trace:
        if e.kind == "escalate" and e.score is not None:
            assert e.score < threshold


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_raising_a_threshold_never_lowers_escalation(
    case: tuple[int, int, float, World, float | None],
) -> None:
    n, samples, _, world, _ = case
    tiers = []
    for t in (0.0, 0.3, 0.5, 0.7, 1.0):
        out = _run(n, samples, t, World(world.outcomes), None)
        reached = max((e.tier or 0) for e in out.trace) if out.trace else 0
        tiers.append(reached)
    assert tiers == sorted(tiers)
