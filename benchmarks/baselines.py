"""Per-prompt outcomes of the baselines: always one model, the oracle, and a vote cascade.

The vote cascade is computed directly on the recorded samples: at each tier, k samples (cycling
through the recorded ones) are reduced to answer keys with `extract_answer`; the tier's answer is
the first sample holding the most frequent key, accepted when that key's share of the k samples
reaches the threshold t, otherwise the next tier votes. The last tier always answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from cascade.verifiers.extract import choices_from_prompt, extract_answer
from numpy.typing import NDArray

from benchmarks.metrics import BoolArray, FloatArray, Point, oracle, outcomes, point
from cascade.recordings import Record

__all__ = [
    "VOTE_SAMPLES",
    "VOTE_THRESHOLDS",
    "Outcome",
    "VoteTable",
    "always",
    "oracle_outcome",
    "vote_cascade",
    "vote_table",
]

IntArray = NDArray[np.intp]
VOTE_SAMPLES = 5
VOTE_THRESHOLDS = (0.2, 0.4, 0.6, 0.8, 1.0)
_EPS = 1e-9


@dataclass(frozen=True)
class Outcome:
    """Per-prompt results of one method: correctness, cost, calls, and the deepest tier reached."""

    correct: BoolArray
    cost: FloatArray
    calls: FloatArray
    reached: IntArray | None = None
    tiers: int = 1

    @property
    def point(self) -> Point:
        """Mean cost per prompt and accuracy."""
        return point(self.correct, self.cost)

    @property
    def escalation_rate(self) -> float | None:
        """The share of prompts that went past the cheapest tier (None without a ladder walk)."""
        return None if self.reached is None else float(np.mean(self.reached > 0))

    def escalation_by_tier(self) -> list[float | None]:
        """Per tier but the last: the share of prompts reaching it that went on to the next."""
        if self.reached is None:
            return []
        rates: list[float | None] = []
        for tier in range(self.tiers - 1):
            reached = self.reached >= tier
            rates.append(float(np.mean(self.reached[reached] > tier)) if reached.any() else None)
        return rates


def always(records: Sequence[Record], models: Sequence[str]) -> dict[str, Outcome]:
    """Each model alone, answering with its sample 0."""
    correct, cost = outcomes(records, models)
    ones = np.ones(len(records))
    return {m: Outcome(correct[:, j], cost[:, j], ones) for j, m in enumerate(models)}


def oracle_outcome(records: Sequence[Record], models: Sequence[str]) -> Outcome:
    """The oracle: one call per prompt, to the cheapest model whose sample 0 is correct."""
    correct, cost = outcomes(records, models)
    best = oracle(correct, cost)
    return Outcome(best.correct, best.cost, np.ones(len(records)))


@dataclass(frozen=True)
class VoteTable:
    """Per prompt and tier: the majority share, the majority answer's label and the tier's cost."""

    share: FloatArray
    correct: BoolArray
    cost: FloatArray
    k: int


def vote_table(
    records: Sequence[Record], models: Sequence[str], kind: str, k: int = VOTE_SAMPLES
) -> VoteTable:
    """Extract the answer keys of k samples per tier once, for every threshold to reuse."""
    shape = (len(records), len(models))
    share, cost = np.zeros(shape), np.zeros(shape)
    correct = np.zeros(shape, dtype=bool)
    for p, record in enumerate(records):
        public = _visible_public(record, kind)
        for t, model in enumerate(models):
            recorded = record.samples[model]
            drawn = [i % len(recorded) for i in range(k)]
            keys = {i: extract_answer(recorded[i].text, kind, public) for i in set(drawn)}
            frac, pick = _majority([keys[i] for i in drawn])
            share[p, t] = frac / k
            correct[p, t] = recorded[drawn[pick]].correct
            cost[p, t] = sum(recorded[i].cost_usd for i in drawn)
    return VoteTable(share, correct, cost, k)


def vote_cascade(table: VoteTable, threshold: float) -> Outcome:
    """The vote cascade at one threshold (the same on every tier)."""
    prompts, tiers = table.share.shape
    passed = table.share >= threshold - _EPS
    passed[:, -1] = True
    answer = np.argmax(passed, axis=1)
    rows = np.arange(prompts)
    visited = np.arange(tiers)[None, :] <= answer[:, None]
    return Outcome(
        table.correct[rows, answer],
        (table.cost * visited).sum(axis=1),
        (answer + 1.0) * table.k,
        answer,
        tiers,
    )


def _majority(keys: Sequence[str | None]) -> tuple[int, int]:
    """(count of the most frequent key, index of its first sample); (0, 0) when there is none."""
    counts = Counter(k for k in keys if k is not None)
    if not counts:
        return 0, 0
    top = max(counts.values())
    index = next(i for i, k in enumerate(keys) if k is not None and counts[k] == top)
    return top, index


def _visible_public(record: Record, kind: str) -> Mapping[str, Any] | None:
    """The record's public inputs; for a choice task without them, the options in the prompt."""
    public: Mapping[str, Any] | None = record.public
    if kind == "choice" and not (public and (public.get("choices") or public.get("options"))):
        found = choices_from_prompt(record.prompt)
        if found:
            return {**(public or {}), "choices": found}
    return public
