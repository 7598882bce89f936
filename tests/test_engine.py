"""The cascade loop, driven through a scripted provider at the seam."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from cascade import (
    BudgetExceeded,
    CallRequest,
    Cascade,
    CascadeExhausted,
    Completion,
    FunctionProvider,
    MissingApiKey,
    Policy,
    ProviderError,
    RateLimited,
    Tier,
    Verdict,
    VerifierSpec,
)
from cascade.errors import ProviderTimeout, ProviderUnavailable
from tests.builders import LADDER, Script, contains, engine, policy


def test_accepted_cheap_answer_costs_one_call() -> None:
    s = Script({"m/cheap": ["a good answer"]})
    r = engine(s).run("q", policy())
    assert (r.text, r.model, r.tier, r.accepted) == ("a good answer", "m/cheap", 0, True)
    assert len(s.calls) == 1
    assert r.cost_usd == pytest.approx(10 * 1e-6 + 20 * 2e-6)
    assert [e.kind for e in r.trace] == ["call", "verdict", "accept"]


def test_failing_answer_escalates_until_one_passes() -> None:
    s = Script({"m/cheap": ["bad"], "m/mid": ["bad too"], "m/top": ["good"]})
    r = engine(s).run("q", policy())
    assert (r.model, r.tier, r.accepted) == ("m/top", 2, True)
    assert [c.model for c in s.calls] == list(LADDER)
    kinds = [e.kind for e in r.trace]
    assert kinds == ["call", "verdict", "escalate"] * 2 + ["call", "verdict", "accept"]
    assert r.cost_usd == pytest.approx(sum(e.cost_usd or 0 for e in r.trace if e.kind == "call"))


def test_failing_calls_escalate_to_next_tier() -> None:
    s = Script({"m/cheap": [ProviderUnavailable("503")], "m/mid": ["good"], "m/top": ["x"]})
    r = engine(s).run("q", policy())
    assert r.model == "m/mid"
    errors = [e for e in r.trace if e.kind == "error"]
    assert len(errors) == 3  # first try + 2 retries
    assert [e.retry for e in errors] == [True, True, False]


def test_retry_recovers_after_rate_limit() -> None:
    s = Script({"m/cheap": [RateLimited("429"), "good"]})
    r = engine(s).run("q", policy())
    assert (r.model, r.accepted, len(s.calls)) == ("m/cheap", True, 2)


def test_bad_request_is_not_retried() -> None:
    s = Script({"m/cheap": [MissingApiKey("no key")], "m/mid": ["good"]})
    r = engine(s).run("q", policy())
    assert r.model == "m/mid"
    assert sum(1 for c in s.calls if c.model == "m/cheap") == 1


def test_every_tier_failing_raises_provider_error_with_trace() -> None:
    s = Script({m: [MissingApiKey(f"no key for {m}", model=m)] for m in LADDER})
    with pytest.raises(MissingApiKey) as info:
        engine(s).run("q", policy())
    assert "every tier" in str(info.value)
    assert all(m in str(info.value) for m in LADDER)
    assert [e.kind for e in info.value.trace] == ["error", "escalate", "error", "escalate", "error"]


def test_non_provider_exception_from_provider_is_mapped() -> None:
    s = Script({m: [RuntimeError("boom")] for m in LADDER})
    with pytest.raises(ProviderError):
        engine(s).run("q", policy())


def test_hanging_provider_times_out() -> None:
    async def slow(req: CallRequest) -> Completion:
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    pol = policy(["m/cheap"]).model_copy(update={"retries": 0})
    pol = pol.model_copy(update={"tiers": (pol.tiers[0].model_copy(update={"timeout_s": 0.05}),)})
    from cascade import Cascade

    eng = Cascade(provider=FunctionProvider(slow), cache=False, trace=False)
    with pytest.raises(ProviderTimeout):
        eng.run("q", pol)


def test_exhausted_returns_best_not_accepted() -> None:
    pol = policy(threshold=0.9, samples=2)
    s = Script({"m/cheap": ["good", "bad"], "m/mid": ["bad"], "m/top": ["bad"]})
    r = engine(s).run("q", pol)
    assert (r.accepted, r.reason, r.model, r.score, r.text) == (
        False,
        "exhausted",
        "m/cheap",
        0.5,
        "good",
    )
    assert r.trace[-1].kind == "exhausted"


def test_exhausted_last_and_raise() -> None:
    s = Script({m: ["bad"] for m in LADDER})
    r = engine(s).run("q", policy(on_exhausted="last"))
    assert (r.model, r.accepted) == ("m/top", False)
    with pytest.raises(CascadeExhausted) as info:
        engine(Script({m: ["bad"] for m in LADDER})).run("q", policy(on_exhausted="raise"))
    assert info.value.best is not None and info.value.best.model == "m/top"
    assert info.value.trace[-1].kind == "exhausted"


def test_samples_run_concurrently() -> None:
    async def slow(req: CallRequest) -> Completion:
        await asyncio.sleep(0.2)
        return Completion("good", 1, 1)

    from cascade import Cascade

    eng = Cascade(provider=FunctionProvider(slow), cache=False, trace=False)
    t0 = time.perf_counter()
    r = eng.run("q", policy(samples=5))
    assert len(r.candidates) == 5
    assert time.perf_counter() - t0 < 0.9  # five sequential calls would take 1 s


def test_samples_get_a_temperature_and_distinct_indices() -> None:
    s = Script({"m/cheap": ["good"]})
    engine(s).run("q", policy(samples=3))
    assert sorted(c.sample for c in s.calls) == [0, 1, 2]
    assert {c.temperature for c in s.calls} == {0.7}


def test_verifier_choice_picks_the_answer() -> None:
    s = Script({"m/cheap": ["bad", "good one", "bad"]})
    r = engine(s).run("q", policy(samples=3, threshold=0.3))
    assert r.text == "good one"
    assert r.candidates[r.choice].text == "good one"


def test_mean_rule_uses_weights() -> None:
    always = VerifierSpec(kind="always", weight=3.0, instance=lambda c, t: True)
    pol = policy(verifiers=[always, contains("good")], rule="mean", threshold=0.7)
    r = engine(Script({"m/cheap": ["bad"]})).run("q", pol)
    assert (r.accepted, r.score) == (True, 0.75)
    r = engine(Script({m: ["bad"] for m in LADDER})).run(
        "q", pol.model_copy(update={"rule": "min"})
    )
    assert not r.accepted


def test_verifier_cost_is_counted() -> None:
    def paid(cands: object, task: object) -> Verdict:
        return Verdict(True, 1.0, "ok", cost_usd=0.5)

    r = engine(Script({"m/cheap": ["x"]})).run("q", policy(verifiers=[paid]))
    call_cost = sum(e.cost_usd or 0 for e in r.trace if e.kind == "call")
    assert r.cost_usd == pytest.approx(call_cost + 0.5)


def test_budget_stops_before_an_expensive_call() -> None:
    s = Script({"m/cheap": ["bad"], "m/mid": ["bad"], "m/top": ["good"]})
    r = engine(s).run("q", policy(), max_cost_usd=0.002)
    assert r.reason == "budget" and not r.accepted
    assert "m/top" not in [c.model for c in s.calls]
    assert r.cost_usd <= 0.002
    assert r.trace[-1].kind == "budget"


def test_budget_raise_and_nothing_affordable() -> None:
    s = Script({m: ["bad"] for m in LADDER})
    with pytest.raises(BudgetExceeded) as info:
        engine(s).run("q", policy(on_budget="raise"), max_cost_usd=0.002)
    assert info.value.best is not None and info.value.spent_usd <= 0.002
    with pytest.raises(BudgetExceeded):
        engine(Script({m: ["good"] for m in LADDER})).run("q", policy(), max_cost_usd=1e-9)


def test_models_override_and_force_one_model() -> None:
    s = Script({"x/a": ["bad"], "x/b": ["good"]})
    r = engine(s).run("q", policy(), models=["x/a", "x/b"])
    assert r.model == "x/b"
    s = Script({"x/only": ["bad"]})
    r = engine(s).run("q", policy(), models=["x/only"])
    assert (r.model, r.accepted, len(s.calls)) == ("x/only", False, 1)


def test_run_many_keeps_input_order_and_can_return_exceptions() -> None:
    def handler(req: CallRequest) -> str:
        text = str(req.messages[-1]["content"])
        if text == "fail":
            raise MissingApiKey("nope")
        return f"good {text}"

    from cascade import Cascade

    eng = Cascade(provider=FunctionProvider(handler), cache=False, trace=False)
    prompts = [str(i) for i in range(20)]
    rs = eng.run_many(prompts, policy(), concurrency=4)
    assert [r.text for r in rs if not isinstance(r, BaseException)] == [
        f"good {p}" for p in prompts
    ]
    seen: list[int] = []
    rs = eng.run_many(
        ["1", "fail", "2"],
        policy(),
        return_exceptions=True,
        progress=lambda done, total: seen.append(done),
    )
    assert isinstance(rs[1], MissingApiKey) and not isinstance(rs[0], BaseException)
    assert seen == [1, 2, 3]
    with pytest.raises(ValueError, match="concurrency"):
        eng.run_many(["1"], policy(), concurrency=0)


async def test_arun_and_run_inside_a_running_loop() -> None:
    eng = engine(Script({"m/cheap": ["good"]}))
    r = await eng.arun("q", policy())
    assert r.accepted
    assert eng.run("q", policy()).accepted  # sync form from inside a loop runs in a thread


def test_chat_messages_and_system_prompt() -> None:
    s = Script({"m/cheap": ["good"]})
    msgs = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yo"},
        {"role": "user", "content": "again"},
    ]
    engine(s).run(msgs, policy(system="be brief"))
    assert s.calls[0].messages[0] == {"role": "system", "content": "be brief"}
    assert len(s.calls[0].messages) == 4


@pytest.mark.parametrize("bad", ["", "   ", [], [{"content": "no role"}]])
def test_bad_prompt_is_a_clear_error(bad: object) -> None:
    with pytest.raises(ValueError, match="prompt"):
        engine(Script({"m/cheap": ["good"]})).run(bad, policy())  # type: ignore[arg-type]


def test_verifier_exception_propagates_with_trace_written(tmp_path: object) -> None:
    def broken(cands: object, task: object) -> Verdict:
        raise RuntimeError("verifier bug")

    events: list[object] = []
    eng = engine(Script({"m/cheap": ["x"]}), trace=events.append)
    with pytest.raises(RuntimeError, match="verifier bug"):
        eng.run("q", policy(verifiers=[broken]))
    assert [e.kind for e in events] == ["call"]  # type: ignore[attr-defined]


def test_skipped_tiers_are_not_called() -> None:
    pol = policy(threshold=0.9)
    tiers = (pol.tiers[0], pol.tiers[1].model_copy(update={"skip": True}), pol.tiers[2])
    s = Script({m: ["bad"] for m in LADDER})
    r = engine(s).run("q", pol.model_copy(update={"tiers": tiers}))
    assert [c.model for c in s.calls] == ["m/cheap", "m/top"] and r.model == "m/top"


def _dear_middle(samples: int = 15, **kw: Any) -> Policy:
    """A policy whose middle tier's samples cost more than one top call: 15 x 10x > 100x."""
    pol = policy(threshold=0.9, **kw)
    mid = pol.tiers[1].model_copy(update={"samples": samples})
    return pol.model_copy(update={"tiers": (pol.tiers[0], mid, pol.tiers[2])})


def test_a_tier_costing_as_much_as_the_next_is_skipped() -> None:
    s = Script({m: ["bad"] for m in LADDER})
    r = engine(s).run("q", _dear_middle())
    assert [c.model for c in s.calls] == ["m/cheap", "m/top"] and r.model == "m/top"
    # nine samples cost 0.9 of a top call: the tier can still save money, so it runs
    s = Script({m: ["bad"] for m in LADDER})
    engine(s).run("q", _dear_middle(9))
    assert [c.model for c in s.calls] == ["m/cheap"] + ["m/mid"] * 9 + ["m/top"]


def test_skip_dominated_off_or_an_unknown_price_keeps_the_tier() -> None:
    s = Script({m: ["bad"] for m in LADDER})
    engine(s).run("q", _dear_middle(skip_dominated=False))
    assert [c.model for c in s.calls] == ["m/cheap"] + ["m/mid"] * 15 + ["m/top"]
    s = Script({m: ["bad"] for m in LADDER})
    prices = {"m/cheap": (1e-6, 2e-6), "m/mid": (1e-5, 2e-5)}  # no price for the top model
    eng = Cascade(provider=FunctionProvider(s, prices=prices), cache=False, trace=False)
    eng.run("q", _dear_middle())
    assert [c.model for c in s.calls] == ["m/cheap"] + ["m/mid"] * 15 + ["m/top"]


def _ladder_run(prices: dict[str, tuple[float, float]], samples: dict[str, int]) -> list[str]:
    """The models called, in order, for one request that every tier rejects."""
    s = Script({m: ["bad"] for m in prices})
    tiers = tuple(
        Tier(model=m, threshold=0.9, samples=samples.get(m, 1), max_tokens=50) for m in prices
    )
    pol = Policy(name="t", tiers=tiers, verifiers=(contains("good"),))
    Cascade(provider=FunctionProvider(s, prices=prices), cache=False, trace=False).run("q", pol)
    return [c.model for c in s.calls]


def test_a_tier_is_judged_against_every_running_tier_above_it() -> None:
    prices = {"a": (1e-7, 1e-7), "b": (1.5e-5, 1.5e-5), "c": (6e-6, 6e-6), "d": (1e-5, 1e-5)}
    # b costs more than c alone, but its answer would save c and d: it runs
    assert _ladder_run(prices, {}) == ["a", "b", "c", "d"]
    prices["b"] = (1.7e-5, 1.7e-5)  # now more than c and d together
    assert _ladder_run(prices, {}) == ["a", "c", "d"]


def test_an_exact_price_tie_counts_as_dominated() -> None:
    prices = {"a": (1e-7, 1e-7), "m": (0.1e-6, 0.3e-6), "t": (0.3e-6, 0.9e-6)}
    assert _ladder_run(prices, {"m": 3}) == ["a", "t"]  # 3 x m == 1 x t, up to rounding


def test_dominance_with_a_budget_and_exploring() -> None:
    s = Script({m: ["bad"] for m in LADDER})
    # the budget allows the cheap tier and the top tier, not the 15 middle samples
    r = engine(s).run("q", _dear_middle(), max_cost_usd=1.5e-2)
    assert [c.model for c in s.calls] == ["m/cheap", "m/top"] and r.model == "m/top"
    s = Script({m: ["bad"] for m in LADDER})
    eng = engine(s, explore=1.0)
    r = eng.run("q", _dear_middle(), max_cost_usd=1.5e-2)  # exploring skips what it cannot afford
    assert [c.model for c in s.calls] == ["m/cheap", "m/top"] and r.model == "m/top"


def test_under_a_budget_exploring_leaves_a_dominated_tier_out_too() -> None:
    """Run for tuning data, the 15 middle samples would take what the top tier needs."""
    for explore in (0.0, 1.0):
        s = Script({"m/cheap": ["bad"], "m/mid": ["bad"], "m/top": ["good"]})
        r = engine(s, explore=explore).run("q", _dear_middle(), max_cost_usd=1.8e-2)
        assert (r.model, r.accepted) == ("m/top", True)
        assert "m/mid" not in {c.model for c in s.calls}
        assert [e.kind for e in r.trace if e.tier == 1] == ["skip"]
