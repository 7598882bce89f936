"""Tuning from traces: explored requests, feedback labels, the top tier as a proxy."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import cascade
from cascade import CallRequest, Cascade, Completion, FunctionProvider, PolicyError, read_events
from cascade.tuning.traces import Run
from tests.builders import PRICES, Script, engine, policy


def _world(seed: int = 0) -> FunctionProvider:
    """Prompt ``q N``: the cheap model is right when N % 10 < 6, the middle one when < 9, the
    top one always; a wrong answer mostly says "bad" (the verifier catches it), and one time in a
    hundred a wrong number (it does not)."""
    rng = random.Random(seed)

    def handler(req: CallRequest) -> Completion:
        d = int(str(req.messages[-1]["content"]).split()[-1]) % 10
        right = {"m/cheap": d < 6, "m/mid": d < 9, "m/top": True}[req.model]
        return Completion(
            "good 42" if right else ("good 41" if rng.random() < 0.01 else "bad"), 10, 5
        )

    return FunctionProvider(handler, prices=PRICES)


def _record(path: Path, n: int, explore: float = 1.0, feedback: bool = False) -> None:
    eng = Cascade(provider=_world(), cache=False, trace=path, explore=explore)
    for i in range(n):
        r = eng.run(f"q {i}", policy())
        if feedback:
            eng.feedback(r, "42" in r.text)
    eng.close()


def test_explore_runs_every_tier_and_returns_the_accepted_answer(tmp_path: Path) -> None:
    s = Script({"m/cheap": ["good a"], "m/mid": ["good b"], "m/top": ["good c"]})
    r = engine(s, explore=1.0).run("q", policy())
    assert (r.model, r.text) == ("m/cheap", "good a")
    assert [c.model for c in s.calls] == ["m/cheap", "m/mid", "m/top"]
    kinds = [e.kind for e in r.trace]
    assert kinds.count("accept") == 1 and kinds.count("explore") == 2
    assert r.cost_usd == pytest.approx(sum(e.cost_usd or 0 for e in r.trace if e.kind == "call"))
    decisions = [e for e in r.trace if e.kind in ("accept", "explore")]
    assert all(e.explored and e.answer for e in decisions)


def test_without_explore_the_cascade_stops_at_the_accepted_tier() -> None:
    s = Script({"m/cheap": ["good a"], "m/mid": ["good b"], "m/top": ["good c"]})
    r = engine(s).run("q", policy())
    assert len(s.calls) == 1 and not any(e.explored for e in r.trace)


def test_explore_share_is_checked() -> None:
    with pytest.raises(ValueError, match=r"explore is a share of requests in \[0, 1\]"):
        Cascade(explore=1.5, cache=False, trace=False)


def test_feedback_is_a_trace_event_naming_the_answer(tmp_path: Path) -> None:
    eng = engine(Script({"m/cheap": ["good"]}), trace=tmp_path / "t.jsonl")
    r = eng.run("q", policy())
    eng.feedback(r, False, "wrong total")
    last = read_events(tmp_path / "t.jsonl")[-1]
    assert last["kind"] == "feedback" and last["passed"] is False
    assert last["run_id"] == r.run_id and last["answer"] == r.trace[-1].answer


def test_labels_prefer_feedback_then_agreement_with_the_top() -> None:
    run = Run(answers={0: "a", 1: "b", 2: "b"}, scores={0: 1, 1: 1, 2: 1})
    assert [run.label(t, 2) for t in range(3)] == [False, True, True]
    run.feedback = (True, "a")  # the caller says the cheap answer was right
    assert run.label(0, 2) is True
    run.feedback = (False, "b")  # the top's answer was wrong: agreeing with it proves nothing
    assert [run.label(t, 2) for t in range(3)] == [False, False, False]


def test_tuning_on_explored_traces_saves_cost_at_the_top_tiers_accuracy(tmp_path: Path) -> None:
    _record(tmp_path / "t.jsonl", 400, feedback=True)
    report = cascade.tune([tmp_path / "t.jsonl"], policy())
    v = report.validation
    assert v.accuracy >= 0.99 * v.top_accuracy
    assert v.cost < 0.6 * v.top_cost  # the cheap tier answers most prompts
    tuned = report.policy  # (a plain-function verifier cannot be written to TOML)
    assert not tuned.tiers[0].skip and tuned.provenance["prompts"] == 400
    assert any("t.jsonl" in d for d in tuned.provenance["data"])


def test_explore_runs_a_tier_left_out_on_price_without_letting_it_answer(tmp_path: Path) -> None:
    pol = policy()
    dear = pol.tiers[1].model_copy(update={"samples": 15})  # 15 x 10x the cheap price > top
    pol = pol.model_copy(update={"tiers": (pol.tiers[0], dear, pol.tiers[2])})
    plain = Cascade(provider=_world(), cache=False, trace=False).run("q 7", pol)
    assert [(e.kind, e.tier) for e in plain.trace if e.tier == 1] == [("skip", 1)]
    assert "cannot save money" in str(plain.trace[3].reason)
    eng = Cascade(provider=_world(), cache=False, trace=tmp_path / "t.jsonl", explore=1.0)
    for i in range(100):
        r = eng.run(f"q {i}", pol)
        assert r.tier != 1  # the answer is the one the request would have had
        assert {e.kind for e in r.trace if e.tier == 1} == {"call", "verdict", "explore"}
    eng.close()
    report = cascade.tune([tmp_path / "t.jsonl"], pol)
    assert report.choice.thresholds.shape == (3,)  # the tuner saw every tier
    assert not report.policy.skip_dominated


def test_traces_tune_by_halves(tmp_path: Path) -> None:
    _record(tmp_path / "t.jsonl", 200)
    sizes = [cascade.tune([tmp_path], policy(), half=h).prompts for h in (0, 1)]
    assert sum(sizes) == 200 and min(sizes) > 60


def test_traces_without_explored_requests_say_how_to_collect_them(tmp_path: Path) -> None:
    _record(tmp_path / "t.jsonl", 40, explore=0.0)
    with pytest.raises(PolicyError, match=r"explore=0\.05"):
        cascade.tune([tmp_path / "t.jsonl"], policy())


def test_a_custom_policy_named_in_traces_must_be_given(tmp_path: Path) -> None:
    _record(tmp_path / "t.jsonl", 40)
    with pytest.raises(PolicyError, match="not a preset; pass it with --policy"):
        cascade.tune([tmp_path / "t.jsonl"])


def test_requests_run_on_another_ladder_are_left_out(tmp_path: Path) -> None:
    eng = Cascade(provider=_world(), cache=False, trace=tmp_path / "t.jsonl", explore=1.0)
    for i in range(60):
        eng.run(f"q {i}", policy(), models=["m/cheap", "m/top"])
    eng.close()
    with pytest.raises(PolicyError, match=r"on its own models.*'m/cheap'.*'m/top'"):
        cascade.tune([tmp_path / "t.jsonl"], policy())


def test_explored_requests_do_not_read_the_cache(tmp_path: Path) -> None:
    s = Script({"m/cheap": ["good a"], "m/mid": ["good b"], "m/top": ["good c"]})
    eng = engine(s, cache=tmp_path / "c", explore=1.0)
    eng.run("q", policy())
    again = eng.run("q", policy())
    assert len(s.calls) == 6 and again.cost_usd > 0
    assert not any(e.kind == "cache_hit" for e in again.trace)


def test_the_last_explore_event_carries_the_requests_whole_cost() -> None:
    s = Script({"m/cheap": ["good a"], "m/mid": ["good b"], "m/top": ["good c"]})
    r = engine(s, explore=1.0).run("q", policy())
    assert r.trace[-1].kind == "explore" and r.trace[-1].cost_usd == pytest.approx(r.cost_usd)
