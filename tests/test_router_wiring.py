"""The learned pre-router in use: tuned from traces, written beside the policy, applied by the
engine (a ``route`` event, then the cascade starts higher)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cascade
from cascade import CallRequest, Cascade, Completion, FunctionProvider, PolicyError
from cascade.policy import RouterRef, policy_from_toml
from tests.builders import PRICES, Script, engine, policy


def _world() -> FunctionProvider:
    """Prompts "easy N" the cheap model gets right; "hard N" it gets wrong while looking sure
    (the verifier passes it); the middle and top models are always right."""

    def handler(req: CallRequest) -> Completion:
        hard = "hard" in str(req.messages[-1]["content"])
        right = req.model != "m/cheap" or not hard
        return Completion("good 42" if right else "good 41", 10, 5)

    return FunctionProvider(handler, prices=PRICES)


def _traces(path: Path, n: int = 300) -> None:
    eng = Cascade(provider=_world(), cache=False, trace=path, explore=1.0, trace_prompts=True)
    for i in range(n):
        eng.run(f"{'hard' if i % 3 == 0 else 'easy'} question number {i}", policy())
    eng.close()


def test_tuning_turns_the_router_on_when_it_saves_and_the_engine_applies_it(
    tmp_path: Path,
) -> None:
    _traces(tmp_path / "t.jsonl")
    report = cascade.tune([tmp_path / "t.jsonl"], policy(), out=tmp_path / "p.toml")
    routing = report.routing
    assert routing is not None and routing.enabled
    assert routing.routed.cost < routing.baseline.cost
    assert routing.routed.accuracy >= 0.99 * routing.routed.top_accuracy
    assert (tmp_path / "p.router.json").is_file()
    assert "[router]" in (tmp_path / "p.toml").read_text()
    assert report.policy.router is not None and report.policy.router.start_tier == 1

    s = Script({"m/cheap": ["good 41"], "m/mid": ["good 42"], "m/top": ["good 42"]})
    r = engine(s).run("hard question number 999", report.policy)
    assert r.trace[0].kind == "route" and r.trace[0].tier == 1
    assert s.calls[0].model == "m/mid"
    easy = engine(s).run("easy question number 998", report.policy)
    assert easy.trace[0].kind == "route" and easy.trace[0].tier == 0


def test_router_off_when_thresholds_alone_do_as_well(tmp_path: Path) -> None:
    eng = Cascade(provider=_world(), cache=False, trace=tmp_path / "t.jsonl", explore=1.0,
                  trace_prompts=True)  # fmt: skip
    for i in range(120):
        eng.run(f"easy question number {i}", policy())
    eng.close()
    report = cascade.tune([tmp_path / "t.jsonl"], policy(), out=tmp_path / "p.toml")
    assert report.routing is not None and not report.routing.enabled
    assert report.policy.router is None and not (tmp_path / "p.router.json").exists()
    assert "pre-router off" in report.summary()


def test_traces_without_prompt_text_tune_no_router(tmp_path: Path) -> None:
    eng = Cascade(provider=_world(), cache=False, trace=tmp_path / "t.jsonl", explore=1.0)
    for i in range(60):
        eng.run(f"easy question number {i}", policy())
    eng.close()
    assert cascade.tune([tmp_path / "t.jsonl"], policy()).routing is None


def test_explored_requests_start_at_the_bottom_whatever_the_router_says(tmp_path: Path) -> None:
    _traces(tmp_path / "t.jsonl", 150)
    tuned = cascade.tune([tmp_path / "t.jsonl"], policy(), out=tmp_path / "p.toml").policy
    s = Script({"m/cheap": ["good 41"], "m/mid": ["good 42"], "m/top": ["good 42"]})
    r = engine(s, explore=1.0).run("hard question number 999", tuned)
    assert r.trace[0].kind == "route" and r.trace[0].tier == 0
    assert [c.model for c in s.calls] == ["m/cheap", "m/mid", "m/top"]


def test_a_router_learned_for_one_ladder_is_dropped_on_another() -> None:
    p = policy().model_copy(update={"router": RouterRef(path="/x.json", tau=0.5)})
    assert p.with_models(["a/b", "c/d"]).router is None


def test_router_fields_are_checked() -> None:
    toml = '[[tiers]]\nmodel = "a/b"\n[[tiers]]\nmodel = "c/d"\n[router]\npath = "r.json"\n'
    with pytest.raises(PolicyError, match="start_tier is 2; valid: 1 to 1"):
        policy_from_toml(toml + "tau = 0.5\nstart_tier = 2\n")
    with pytest.raises(PolicyError, match=r"router\.tau"):
        policy_from_toml(toml + "tau = 1.5\n")


def test_a_policy_file_whose_router_file_is_missing_says_where(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(
        '[[tiers]]\nmodel = "a/b"\n[[tiers]]\nmodel = "c/d"\n[router]\npath = "r.json"\ntau = 0.5\n'
    )
    with pytest.raises(PolicyError, match=r"no router file at .*r\.json"):
        cascade.load_policy(tmp_path / "p.toml")


def test_routed_requests_start_at_the_tuned_policys_own_tier_index() -> None:
    from cascade.tuning.routing import router_start

    assert router_start([0, 2], 1) == 2  # traces: every tier of the source policy is kept
    assert router_start(None, 1) == 1  # recordings: one tier per column


def test_a_refused_output_leaves_the_source_policys_router_file_alone(tmp_path: Path) -> None:
    _traces(tmp_path / "t.jsonl")
    tiers = "".join(f'[[tiers]]\nmodel = "{m}"\n' for m in ("m/cheap", "m/mid", "m/top"))
    (tmp_path / "p.toml").write_text(f'name = "test"\n{tiers}')
    (tmp_path / "p.router.json").write_text("the source's router")
    for out in ("p.toml", "p.yaml"):  # the policy itself, or a name sharing its router file
        with pytest.raises(PolicyError, match="overwrite its source"):
            cascade.tune([tmp_path / "t.jsonl"], tmp_path / "p.toml", out=tmp_path / out)
    assert (tmp_path / "p.router.json").read_text() == "the source's router"
