"""Replaying a cascade offline on a table of per-tier scores, labels and costs.

The table holds, for every prompt and every tier, the tier's combined verifier score, whether
the tier's answer is correct, and what the tier cost (samples and verifier calls). With every
tier observed for every prompt, any thresholds can be evaluated exactly, vectorized over prompts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Table:
    """Per prompt (rows) and tier (columns): score in [0, 1], correct label, cost in USD."""

    scores: Floats
    correct: Bools
    costs: Floats

    def __post_init__(self) -> None:
        shape = self.scores.shape
        if len(shape) != 2 or shape[1] < 1:
            raise ValueError(f"scores must be a (prompts, tiers) array, got shape {shape}")
        if self.correct.shape != shape or self.costs.shape != shape:
            raise ValueError(
                f"scores {shape}, correct {self.correct.shape} and costs {self.costs.shape} "
                "must have the same shape"
            )

    @property
    def prompts(self) -> int:
        """Number of prompts (rows)."""
        return int(self.scores.shape[0])

    @property
    def tiers(self) -> int:
        """Number of tiers (columns)."""
        return int(self.scores.shape[1])

    def take(self, rows: npt.NDArray[np.intp]) -> Table:
        """The sub-table of the given rows."""
        return Table(self.scores[rows], self.correct[rows], self.costs[rows])

    def starting_at(self, start: npt.NDArray[np.intp]) -> Table:
        """The table as seen when prompt i starts at tier ``start[i]`` (a pre-router's choice).

        Skipped tiers cost nothing and never accept, so every search and simulation below works
        unchanged on the result.
        """
        skipped = np.arange(self.tiers)[None, :] < start[:, None]
        return Table(
            np.where(skipped, -np.inf, self.scores),
            self.correct,
            np.where(skipped, 0.0, self.costs),
        )


@dataclass(frozen=True)
class Outcome:
    """What a cascade with given thresholds does on a table."""

    accuracy: float
    cost: float
    stop_tier: npt.NDArray[np.intp]

    def escalation_rate(self, tier: int) -> float:
        """Share of prompts that went past ``tier``."""
        return float(np.mean(self.stop_tier > tier))


def stop_tiers(scores: Floats, thresholds: Floats) -> npt.NDArray[np.intp]:
    """The tier each prompt stops at: the first whose score meets its threshold (the last
    tier always accepts)."""
    accept = scores >= thresholds[None, :]
    accept[:, -1] = True
    stop: npt.NDArray[np.intp] = np.argmax(accept, axis=1).astype(np.intp)
    return stop


def paid_costs(costs: Floats, thresholds: Floats) -> Floats:
    """Costs with skipped tiers (threshold ``inf``: never accepted, so never called) zeroed."""
    called = np.isfinite(thresholds)
    called[-1] = True
    return np.where(called[None, :], costs, 0.0)


def simulate(table: Table, thresholds: Floats) -> Outcome:
    """Accuracy and mean cost of the cascade with ``thresholds`` (one per tier).

    A tier whose threshold is ``inf`` is skipped: it is not called and costs nothing.
    """
    stop = stop_tiers(table.scores, thresholds)
    rows = np.arange(table.prompts)
    paid = np.cumsum(paid_costs(table.costs, thresholds), axis=1)[rows, stop]
    correct = table.correct[rows, stop]
    return Outcome(float(np.mean(correct)), float(np.mean(paid)), stop)
