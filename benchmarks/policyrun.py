"""Run a policy over recorded prompts through the engine, at its own thresholds and swept."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmarks.baselines import Outcome
from benchmarks.metrics import FloatArray
from cascade import Cascade, Policy, Result
from cascade.recordings import Record
from cascade.replay import replay_all, returned_sample

__all__ = [
    "SWEEP",
    "PolicyRuns",
    "passes",
    "run_policy",
    "sweep_policy",
    "with_threshold",
]

#: Thresholds swept, the same on every tier; 0.0 accepts the cheapest tier's answer.
SWEEP = tuple(round(0.1 * i, 1) for i in range(11))


@dataclass
class PolicyRuns:
    """A policy's outcome at its own thresholds, its sweep, and its verifiers' scores at tier 0."""

    own: Outcome
    sweep: dict[float, Outcome] = field(default_factory=dict)
    scores: dict[str, FloatArray] = field(default_factory=dict)
    labels: FloatArray = field(default_factory=lambda: np.zeros(0))


def passes(policy: Policy, thresholds: Sequence[float] = SWEEP) -> int:
    """How many runs over the prompts `sweep_policy` makes (equal threshold sets run once)."""
    keys = {_key(policy)}
    keys |= {_key(with_threshold(policy, t)) for t in thresholds}
    return len(keys)


def _key(policy: Policy) -> tuple[float, ...]:
    """What tells two runs of the same policy apart: thresholds, skips, skipping on price."""
    return (
        *(-1.0 if t.skip else t.threshold for t in policy.tiers),
        float(policy.skip_dominated),
    )


def with_threshold(policy: Policy, threshold: float) -> Policy:
    """`policy` with the same acceptance threshold on every tier, every tier running (none
    skipped, none left out on price)."""
    update = {"threshold": threshold, "skip": False}
    tiers = tuple(t.model_copy(update=update) for t in policy.tiers)
    return policy.model_copy(update={"tiers": tiers, "skip_dominated": False})


def outcome_of(
    results: Sequence[Result], records: Sequence[Record], ladder: Mapping[str, str]
) -> Outcome:
    """Per-prompt correctness (of the exact recorded sample returned), cost, calls, tier reached."""
    returned = [returned_sample(r, rec, ladder) for r, rec in zip(results, records, strict=True)]
    return Outcome(
        np.array([x.sample.correct for x in returned], dtype=bool),
        np.array([r.cost_usd for r in results], dtype=np.float64),
        np.array([r.calls for r in results], dtype=np.float64),
        np.array([x.reached for x in returned], dtype=np.intp),
        len(ladder),
    )


async def run_policy(
    engine: Cascade,
    policy: Policy,
    records: Sequence[Record],
    ladder: Mapping[str, str],
    progress: Callable[[int], None] | None = None,
) -> tuple[Outcome, list[Result]]:
    """Replay every record through the engine under `policy`."""
    results = await replay_all(engine, policy, records, progress=progress)
    return outcome_of(results, records, ladder), results


async def sweep_policy(
    engine: Cascade,
    policy: Policy,
    records: Sequence[Record],
    ladder: Mapping[str, str],
    thresholds: Sequence[float] = SWEEP,
    progress: Callable[[int], None] | None = None,
) -> PolicyRuns:
    """The policy at its own thresholds and at each swept threshold (runs shared when equal).

    The run at threshold 0.0 answers every prompt at the cheapest tier: its verdicts give each
    verifier's score against the label of the answer chosen there.
    """
    runs: dict[tuple[float, ...], tuple[Outcome, list[Result]]] = {}

    async def at(p: Policy) -> tuple[Outcome, list[Result]]:
        key = _key(p)
        if key not in runs:
            runs[key] = await run_policy(engine, p, records, ladder, progress)
        return runs[key]

    own, _ = await at(policy)
    out = PolicyRuns(own)
    for t in thresholds:
        out.sweep[t], results = await at(with_threshold(policy, t))
        if t == 0.0:
            out.scores, out.labels = _tier0_scores(results, out.sweep[t])
    return out


def _tier0_scores(
    results: Sequence[Result], outcome: Outcome
) -> tuple[dict[str, FloatArray], FloatArray]:
    names: list[str] = []
    for v in results[0].verdicts if results else ():
        names.append(v.name if v.name not in names else f"{v.name}#{len(names)}")
    scores = {n: np.zeros(len(results)) for n in names}
    for p, r in enumerate(results):
        if r.tier != 0:
            raise AssertionError("a run at threshold 0 must answer at the cheapest tier")
        for n, v in zip(names, r.verdicts, strict=True):
            scores[n][p] = v.score
    return scores, outcome.correct.astype(np.float64)
