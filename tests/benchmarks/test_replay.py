"""The replay provider: recorded samples served through the engine, and nothing else seen."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from benchmarks.policyrun import outcome_of
from cascade import (
    BadRequest,
    CallRequest,
    Candidate,
    Cascade,
    Completion,
    FunctionProvider,
    Policy,
    Task,
    Tier,
    Verdict,
)
from cascade.recordings import Record, Recording
from cascade.replay import ReplayProvider, ladder_for, replay_all, replay_one, returned_sample
from tests.benchmarks.replay_builders import opened, record

LADDER = ladder_for(["small", "mid", "big"])
SMALL, MID, BIG = LADDER


def _request(model: str, prompt: str, sample: int = 0) -> CallRequest:
    return CallRequest(model, ({"role": "user", "content": prompt},), sample=sample)


def _two_samples(tmp_path: Path) -> tuple[Recording, list[Record]]:
    return opened(
        tmp_path,
        [
            record(
                "q1",
                "What is 1+1?",
                {
                    "small": [("two", False, 0.001), ("2", True, 0.002)],
                    "mid": [("2", True)],
                    "big": [("2", True)],
                },
            )
        ],
    )


async def test_serves_recorded_samples_cycling_with_tokens_and_cost(tmp_path: Path) -> None:
    recording, records = _two_samples(tmp_path)
    provider = ReplayProvider(recording.manifest, records)
    got = [await provider.complete(_request(SMALL, "What is 1+1?", i)) for i in range(3)]
    assert [c.text for c in got] == ["two", "2", "two"]
    assert [c.cost_usd for c in got] == [0.001, 0.002, 0.001]
    assert (got[0].tokens_in, got[0].tokens_out) == (11, 7)
    assert provider.price(MID) == (1e-6, 2e-6)


async def test_a_call_that_is_no_recorded_answer_needs_a_judge_model(tmp_path: Path) -> None:
    recording, records = _two_samples(tmp_path)
    provider = ReplayProvider(recording.manifest, records)
    with pytest.raises(BadRequest, match="--judge"):
        await provider.complete(_request(SMALL, "Is this answer right? two"))
    seen: list[CallRequest] = []

    def judge(req: CallRequest) -> Completion:
        seen.append(req)
        return Completion("yes", 3, 1, 0.5)

    routed = ReplayProvider(
        recording.manifest,
        records,
        verifier_provider=FunctionProvider(judge),
        verifier_model="judge/model",
    )
    assert (await routed.complete(_request(SMALL, "Is this right?"))).text == "yes"
    assert [r.model for r in seen] == ["judge/model"]


async def test_duplicate_prompts_keep_their_own_records(tmp_path: Path) -> None:
    same = "Same question?"
    recording, records = opened(
        tmp_path,
        [
            record("a", same, {m: [("from a", True)] for m in ("small", "mid", "big")}),
            record("b", same, {m: [("from b", False)] for m in ("small", "mid", "big")}),
        ],
    )
    engine = Cascade(provider=ReplayProvider(recording.manifest, records), cache=False, trace=False)
    policy = Policy(tiers=tuple(Tier(model=m) for m in LADDER))
    results = await replay_all(engine, policy, records)
    assert [r.text for r in results] == ["from a", "from b"]
    assert outcome_of(results, records, LADDER).correct.tolist() == [True, False]


class Served:
    """A provider that keeps every completion the replay provider returns."""

    def __init__(self, inner: ReplayProvider):
        self.inner = inner
        self.served: list[Completion] = []

    async def complete(self, request: CallRequest) -> Completion:
        self.served.append(await self.inner.complete(request))
        return self.served[-1]

    def price(self, model: str) -> tuple[float, float] | None:
        return self.inner.price(model)


def _picker(index: int) -> Any:
    def pick(cands: Sequence[Candidate], task: Task) -> Verdict:
        return Verdict(True, 1.0, choice=index)

    return pick


async def test_the_returned_sample_is_the_one_the_engine_chose(tmp_path: Path) -> None:
    # samples 0 and 2 have the same text but different labels: only the index tells them apart
    recording, records = opened(
        tmp_path,
        [
            record(
                "q",
                "Pick?",
                {
                    "small": [("x", False), ("y", False), ("x", True)],
                    "mid": [("m", True)],
                    "big": [("b", True)],
                },
            )
        ],
    )
    engine = Cascade(provider=ReplayProvider(recording.manifest, records), cache=False, trace=False)
    policy = Policy(tiers=(Tier(model=SMALL, samples=3),), verifiers=(_picker(2),))
    result = await replay_one(engine, policy, records[0])
    got = returned_sample(result, records[0], LADDER)
    assert (got.model, got.index, got.sample.correct, got.reached) == ("small", 2, True, 0)
    first = Policy(tiers=(Tier(model=SMALL, samples=3),), verifiers=(_picker(0),))
    got = returned_sample(await replay_one(engine, first, records[0]), records[0], LADDER)
    assert (got.index, got.sample.correct) == (0, False)


async def test_verifiers_see_prompt_public_and_texts_never_the_reference(tmp_path: Path) -> None:
    secret = "SECRET-REFERENCE-7731"
    recording, records = opened(
        tmp_path,
        [
            record(
                "q",
                "Which option?",
                {
                    m: [(f"{m} says B", m == "big"), (f"{m} says C", False)]
                    for m in ("small", "mid", "big")
                },
                reference={"answer": secret, "why": secret},
                public={"choices": ["A", "B", "C"]},
            )
        ],
    )
    raw = json.loads((tmp_path / "toy.jsonl").read_text())
    raw["samples"]["small"][0]["answer"] = secret  # the dataset's parsed answer: hidden too
    (tmp_path / "toy.jsonl").write_text(json.dumps(raw) + "\n")
    records = recording.load()
    seen: list[str] = []

    def spy(cands: Sequence[Candidate], task: Task) -> Verdict:
        seen.append(repr((task, cands)))
        return Verdict(
            task.public == {"choices": ("A", "B", "C")} and "big" in cands[0].model,
            1.0 if "big" in cands[0].model else 0.0,
        )

    provider = Served(ReplayProvider(recording.manifest, records))
    engine = Cascade(provider=provider, cache=False, trace=False)
    policy = Policy(tiers=tuple(Tier(model=m, samples=2) for m in LADDER), verifiers=(spy,))
    result = await replay_one(engine, policy, records[0])
    assert result.accepted and result.model == BIG
    assert len(seen) == 3 and len(provider.served) == 6
    assert "says B" in seen[0] and "choices" in seen[0] and "Which option?" in seen[0]
    visible = (
        seen + [repr(c) for c in provider.served] + [json.dumps(result.to_dict(), default=str)]
    )
    assert not [v for v in visible if secret in v]


async def test_a_policy_that_raises_when_exhausted_is_scored_on_its_best(tmp_path: Path) -> None:
    recording, records = _two_samples(tmp_path)
    engine = Cascade(provider=ReplayProvider(recording.manifest, records), cache=False, trace=False)
    never = Policy(
        tiers=tuple(Tier(model=m) for m in LADDER),
        verifiers=(lambda cands, task: 0.0,),
        on_exhausted="raise",
    )
    result = await replay_one(engine, never, records[0])
    assert not result.accepted and result.reason == "exhausted"
    assert returned_sample(result, records[0], LADDER).reached == 2
