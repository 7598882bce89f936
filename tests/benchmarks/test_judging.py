"""Judge verifiers during replay: recorded confidence, or a judge model behind a disk cache."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from cascade.verifiers import as_verifier, build, register, run_verifier

from benchmarks.judging import (
    CachedProvider,
    JudgeMode,
    RecordedConfidence,
    confidence_coverage,
    prepare_policy,
    uses_judge,
)
from cascade import (
    CallRequest,
    Candidate,
    Cascade,
    Completion,
    FunctionProvider,
    Policy,
    Task,
    Tier,
    Verdict,
    Verifier,
)
from cascade.recordings import Record, Recording
from cascade.replay import ReplayProvider, ladder_for, replay_one, returned_sample
from tests.benchmarks.replay_builders import opened, record

LADDER = ladder_for(["small", "mid", "big"])


async def llm_judge(cands: Sequence[Candidate], task: Task) -> Verdict:
    """A judge in the shape the real one will have: it asks a model through the task."""
    assert task.complete is not None
    reply = await task.complete(f"Grade: {cands[0].text}", name="llm_judge")
    return Verdict(reply.text == "good", 1.0 if reply.text == "good" else 0.0)


def _policy(threshold: float = 0.5, samples: int = 1) -> Policy:
    tiers = tuple(
        Tier(model=f"x/{n}", threshold=threshold, samples=samples) for n in ("a", "b", "c")
    )
    return Policy(name="judged", tiers=tiers, verifiers=(llm_judge,))


def _confident(tmp_path: Path) -> tuple[Recording, list[Record]]:
    return opened(
        tmp_path,
        [
            record(
                "q",
                "Q?",
                {
                    "small": [("s0", False, 1e-5, 0.2), ("s1", True, 1e-5, 0.9)],
                    "mid": [("m0", True, 1e-4, -0.1)],  # a log-probability: exp(-0.1) ~ 0.905
                    "big": [("b0", True, 1e-3, None)],
                },
            )
        ],
    )


def test_modes_parse() -> None:
    assert JudgeMode.parse("recorded-confidence").model is None
    assert JudgeMode.parse("anthropic/claude-haiku-5-5").model == "anthropic/claude-haiku-5-5"
    assert "litellm" in JudgeMode("m/x").label


async def test_recorded_confidence_scores_and_picks_the_most_confident(tmp_path: Path) -> None:
    recording, records = _confident(tmp_path)
    policy = prepare_policy(_policy(0.95, samples=2), LADDER, JudgeMode())
    assert isinstance(policy.built_verifiers[0], RecordedConfidence)
    assert [t.model for t in policy.tiers] == list(LADDER)
    engine = Cascade(provider=ReplayProvider(recording.manifest, records), cache=False, trace=False)
    result = await replay_one(engine, policy, records[0])
    assert result.verdicts[0].score == pytest.approx(1.0)  # no confidence at big: neutral
    scores = [e.score for e in result.trace if e.kind == "verdict"]
    assert scores[:2] == pytest.approx([0.9, 0.904837], abs=1e-6)
    assert result.model == "replay/big"
    picked = await replay_one(
        engine, policy.model_copy(update={"tiers": policy.tiers[:1]}), records[0]
    )
    assert returned_sample(picked, records[0], LADDER).index == 1
    assert confidence_coverage(records, ["small", "mid", "big"]) == pytest.approx(3 / 4)


async def test_a_judge_model_answers_verifier_calls_and_is_cached(tmp_path: Path) -> None:
    recording, records = _confident(tmp_path)
    asked: list[CallRequest] = []

    def judge_model(req: CallRequest) -> Completion:
        asked.append(req)
        good = "b0" in req.messages[-1]["content"]
        return Completion("good" if good else "bad", 30, 1, 0.01)

    cached = CachedProvider(FunctionProvider(judge_model), tmp_path / "cache")
    mode = JudgeMode("judge/m")
    policy = prepare_policy(_policy(), LADDER, mode)
    assert not isinstance(policy.built_verifiers[0], RecordedConfidence)
    provider = ReplayProvider(
        recording.manifest, records, verifier_provider=cached, verifier_model=mode.model
    )
    engine = Cascade(provider=provider, cache=False, trace=False)
    first = await replay_one(engine, policy, records[0])
    again = await replay_one(engine, policy, records[0])
    cached.close()
    assert first.model == "replay/big" and first.accepted
    assert {r.model for r in asked} == {"judge/m"} and len(asked) == 3  # second run: cache
    assert first.cost_usd == pytest.approx(again.cost_usd)
    assert first.cost_usd == pytest.approx(1e-5 + 1e-4 + 1e-3 + 3 * 0.01)


class Wrap:
    """A combinator in the shape of ``all``: the least score of the verifiers in ``of``."""

    name = "bench_test_wrap"

    def __init__(self, parts: Sequence[Verifier]):
        self.parts = parts

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        verdicts = [await run_verifier(p, candidates, task) for p in self.parts]
        return min(verdicts, key=lambda v: v.score)


@register("bench_test_wrap")
def _wrap(of: Sequence[Any]) -> Wrap:
    parts = [as_verifier(s) if not isinstance(s, Mapping) else build(s["kind"], {}) for s in of]
    return Wrap(parts)


@register("bench_test_judge")
def _a_judge() -> Verifier:
    return as_verifier(llm_judge)


async def test_nested_judges_are_replaced_too(tmp_path: Path) -> None:
    recording, records = _confident(tmp_path)
    nested = Policy(
        tiers=(Tier(model="x/a", threshold=0.85),),
        verifiers=({"kind": "bench_test_wrap", "of": [{"kind": "bench_test_judge"}]},),
    )
    assert uses_judge(nested)
    moved = prepare_policy(nested, LADDER, JudgeMode())
    engine = Cascade(provider=ReplayProvider(recording.manifest, records), cache=False, trace=False)
    result = await replay_one(engine, moved, records[0])  # the judge would need --judge MODEL
    scores = [e.score for e in result.trace if e.kind == "verdict"]
    assert scores == pytest.approx([0.2, 0.904837], abs=1e-6)
    assert result.accepted and result.model == "replay/mid"
