"""Evaluate every method on one recording: baselines on the recorded data, policies through the
engine with a replay provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.baselines import (
    VOTE_THRESHOLDS,
    Outcome,
    always,
    oracle_outcome,
    vote_cascade,
    vote_table,
)
from benchmarks.judging import JudgeMode, confidence_coverage, prepare_policy, uses_judge
from benchmarks.metrics import roc_auc
from benchmarks.policyrun import SWEEP, passes, sweep_policy
from benchmarks.progress import Bar
from cascade import Cascade, Policy, Provider, load_policy, preset_names
from cascade.recordings import Record, Recording, halve
from cascade.replay import ReplayProvider, ladder_for
from cascade.tuning.data import tier_table
from cascade.tuning.search import Objective, Validation, bags_for, cross_validate
from cascade.tuning.tune import MIN_PROMPTS

__all__ = ["VOTE_AT", "Evaluation", "Settings", "evaluate", "policy_method", "policy_refs"]

#: The vote cascade's reported row: a strict majority of the k = 5 samples.
VOTE_AT = 0.6
#: The objective of the "if tuned" estimate: `cascade tune`'s default.
TUNE_TARGET = Objective(0.99)


@dataclass(frozen=True)
class Settings:
    """What to run: policies (none: the preset of each recording's task kind), judge, sampling."""

    policies: tuple[str, ...] = ()
    judge: JudgeMode = field(default_factory=JudgeMode)
    seed: int = 0
    limit: int | None = None
    half: int | None = None
    ladder: tuple[str, ...] | None = None
    thresholds: tuple[float, ...] = SWEEP


@dataclass
class Evaluation:
    """Per-prompt outcomes of every method on one recording, with sweeps and verifier AUCs."""

    recording: Recording
    models: tuple[str, ...]
    prompts: int
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    sweeps: dict[str, dict[float, Outcome]] = field(default_factory=dict)
    roc: dict[str, dict[str, float]] = field(default_factory=dict)
    tuned: dict[str, Validation] = field(default_factory=dict)  # `cascade tune`, cross-validated
    judge: str = ""
    notes: list[str] = field(default_factory=list)


def policy_refs(recording: Recording, settings: Settings) -> tuple[str, ...]:
    """The policies to test: the ones asked for, else the preset named after the task kind."""
    if settings.policies:
        return settings.policies
    kind = recording.manifest.task_kind
    return (kind if kind in preset_names() else "default",)


def policy_method(ref: str) -> str:
    """The method name of a policy: ``policy:<preset name or file stem>``."""
    return "policy:" + (ref if ref in preset_names() else Path(ref).stem)


def select(records: list[Record], limit: int | None, seed: int) -> list[Record]:
    """All records, or `limit` of them drawn with `seed`, in file order."""
    if limit is None or limit >= len(records):
        return records
    rng = np.random.default_rng(seed)
    keep = sorted(int(i) for i in rng.choice(len(records), size=limit, replace=False))
    return [records[i] for i in keep]


def _models(recording: Recording, settings: Settings, notes: list[str]) -> tuple[str, ...]:
    names = recording.manifest.model_names
    if settings.ladder is None:
        return names
    missing = [m for m in settings.ladder if m not in names]
    if missing:
        notes.append(f"--models: no {', '.join(missing)} here; the manifest's ladder is used")
        return names
    return settings.ladder


def _judge_note(
    policies: Sequence[Policy], records: Sequence[Record], ev: Evaluation, mode: JudgeMode
) -> str:
    uses = any(uses_judge(p) for p in policies)
    note = mode.label if uses else f"{mode.label}; no policy under test has a judge verifier"
    if mode.model is not None:
        return note
    share = confidence_coverage(records, ev.models)
    if share == 0:
        neutral = ", so judge verifiers score neutral (1.0)" if uses else ""
        return f"{note} (this recording has no confidence values{neutral})"
    return f"{note} ({share:.0%} of the ladder's samples carry a confidence)"


async def evaluate(
    recording: Recording, settings: Settings, verifier_provider: Provider | None = None
) -> Evaluation:
    """Run every baseline and policy on `recording`."""
    notes: list[str] = []
    loaded = (
        recording.load() if settings.half is None else halve(recording.records(), settings.half)
    )
    records = select(loaded, settings.limit, settings.seed)
    models = _models(recording, settings, notes)
    ev = Evaluation(recording, models, len(records), notes=notes)
    kind = recording.manifest.task_kind
    for name, outcome in always(records, models).items():
        ev.outcomes[f"always:{name}"] = outcome
    ev.outcomes["oracle"] = oracle_outcome(records, models)
    table = vote_table(records, models, kind)
    ev.sweeps["vote-cascade"] = {t: vote_cascade(table, t) for t in VOTE_THRESHOLDS}
    ev.outcomes["vote-cascade"] = ev.sweeps["vote-cascade"][VOTE_AT]
    if records and all(len(records[0].samples[m]) == 1 for m in models):
        notes.append("one recorded sample per model: the vote sees 5 copies of it")
    ladder = ladder_for(models)
    provider = ReplayProvider(
        recording.manifest,
        records,
        models=ladder,
        verifier_provider=verifier_provider,
        verifier_model=settings.judge.model,
    )
    sweep = tuple(sorted({0.0, *settings.thresholds}))  # 0 answers at tier 0: verifier AUCs
    refs = policy_refs(recording, settings)
    policies = [prepare_policy(load_policy(r), ladder, settings.judge) for r in refs]
    ev.judge = _judge_note([load_policy(r) for r in refs], records, ev, settings.judge)
    tunable = len(records) >= MIN_PROMPTS
    total = len(records) * sum(passes(p, sweep) + tunable * len(p.tiers) for p in policies)
    bar = Bar(recording.name, total)
    engine = Cascade(provider=provider, cache=False, trace=False)
    try:
        for ref, policy in zip(refs, policies, strict=True):
            runs = await sweep_policy(engine, policy, records, ladder, sweep, bar)
            method = policy_method(ref)
            ev.outcomes[method] = runs.own
            ev.sweeps[method] = runs.sweep
            ev.roc[method] = {n: roc_auc(s, runs.labels) for n, s in runs.scores.items()}
            if tunable:  # what `cascade tune` would do, each fold tuned without its prompts
                tiers = await tier_table(engine, policy, records, ladder, bar)
                bags = bags_for(tiers.prompts)
                ev.tuned[method] = cross_validate(tiers, TUNE_TARGET, seed=settings.seed, bags=bags)
    finally:
        engine.close()
        bar.close()
    return ev
