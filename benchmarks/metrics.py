"""Cost-quality metrics of cascade methods over recorded prompts.

Costs are mean USD per prompt, accuracies fractions in 0..1. A method's hull is the upper-left
convex hull of its operating points: any cost between two points is reachable by randomly mixing
them per prompt, so the hull is what the method can achieve.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cascade.recordings import Record

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Accuracy shortfall still counted as reaching a target (guards float summation order).
TOLERANCE = 1e-12


class Point(NamedTuple):
    """An operating point: mean cost per prompt and accuracy."""

    cost: float
    accuracy: float


class Hull(NamedTuple):
    """Vertices of an upper-left hull: costs strictly ascending, accuracies non-decreasing."""

    costs: FloatArray
    accuracies: FloatArray


def point(correct: ArrayLike, cost: ArrayLike) -> Point:
    """A method's point from its per-prompt correctness (0/1) and cost."""
    spend = np.asarray(cost, dtype=np.float64)
    return Point(float(spend.mean()), float(np.asarray(correct, dtype=np.float64).mean()))


def percent_of_top(method: Point, top: Point) -> Point:
    """The method's cost and accuracy as percentages of the always-top model's."""
    return Point(_percent(method.cost, top.cost), _percent(method.accuracy, top.accuracy))


def outcomes(
    records: Iterable[Record], models: Sequence[str], sample: int = 0
) -> tuple[BoolArray, FloatArray]:
    """Correctness and cost of each model's sample `sample`, as (prompts x models) arrays."""
    rows = [[record.sample(m, sample) for m in models] for record in records]
    correct = np.array([[s.correct for s in row] for row in rows], dtype=bool)
    cost = np.array([[s.cost_usd for s in row] for row in rows], dtype=np.float64)
    return correct.reshape(-1, len(models)), cost.reshape(-1, len(models))


def upper_hull(costs: ArrayLike, accuracies: ArrayLike) -> Hull:
    """The upper-left convex hull, from the cheapest point to the cheapest most accurate one.

    Points that are dominated (costlier and no more accurate than a mix of two others) are
    dropped, as are collinear middle points; ties in cost keep the most accurate point.
    """
    c, a = _points(costs, accuracies)
    order = np.lexsort((-a, c))
    c, a = c[order], a[order]
    keep: list[int] = []
    for i in range(int(np.argmax(a)) + 1):
        if keep and c[i] == c[keep[-1]]:
            continue
        while len(keep) >= 2 and _below_chord(c, a, keep[-2], keep[-1], i):
            keep.pop()
        keep.append(i)
    return Hull(c[keep], a[keep])


def accuracy_at(hull: Hull, cost: float) -> float:
    """Accuracy reachable at `cost` on the hull: linear between vertices, capped beyond the last.

    NaN below the hull's cheapest point, where the method cannot operate.
    """
    return float(np.interp(cost, hull.costs, hull.accuracies, left=math.nan))


def cost_to_reach(hull: Hull, accuracy: float) -> float:
    """Least cost at which the hull reaches `accuracy` (within TOLERANCE); inf if it never does."""
    reached = np.flatnonzero(hull.accuracies >= accuracy - TOLERANCE)
    if reached.size == 0:
        return math.inf
    i = int(reached[0])
    if i == 0:
        return float(hull.costs[0])
    return float(np.interp(accuracy, hull.accuracies[i - 1 : i + 1], hull.costs[i - 1 : i + 1]))


def costs_to_match(
    hull: Hull, top_accuracy: float, fractions: Sequence[float] = (0.95, 0.99, 1.0)
) -> dict[float, float]:
    """Least cost reaching each fraction of the top model's accuracy (inf when unreachable)."""
    return {f: cost_to_reach(hull, f * top_accuracy) for f in fractions}


def apgr(costs: ArrayLike, accuracies: ArrayLike, cheapest: Point, top: Point) -> float:
    """Average performance gap recovered: normalized area under the method's hull.

    With always-cheapest at (c0, a0) and always-top at (c1, a1),

        APGR = 1/(c1 - c0) * integral over c in [c0, c1] of (acc(c) - a0) / (a1 - a0) dc

    where acc is the hull of the method's points together with (c0, a0), interpolated linearly
    and held at its best accuracy beyond its last point. Randomly mixing the two models (the
    straight line between them) scores 0.5, always-cheapest 0, reaching a1 at cost c0 scores 1;
    a method more accurate than the top model can exceed 1. NaN when a1 <= a0 or c1 <= c0: no gap
    to recover, so the ratio is undefined.
    """
    (c0, a0), (c1, a1) = cheapest, top
    if not (a1 > a0 and c1 > c0):
        return math.nan
    c, a = _points(costs, accuracies)
    hull = upper_hull(np.append(c, c0), np.append(a, a0))
    inside = hull.costs[(hull.costs > c0) & (hull.costs < c1)]
    grid = np.concatenate(([c0], inside, [c1]))
    gain = (np.interp(grid, hull.costs, hull.accuracies) - a0) / (a1 - a0)
    area = np.sum((gain[1:] + gain[:-1]) / 2 * np.diff(grid))
    return float(area / (c1 - c0))


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC curve (rank-based, ties count half); NaN if a class is absent."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel()
    if s.shape != y.shape or not np.isin(y, (0, 1)).all() or np.isnan(s).any():
        raise ValueError("scores and 0/1 labels must be equal-length, scores without NaN")
    positive = y.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    rank_sum = float(_average_ranks(s)[positive].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


class Interval(NamedTuple):
    """A mean and its bootstrap confidence interval."""

    mean: float
    low: float
    high: float


def bootstrap_mean(
    values: ArrayLike,
    *,
    seed: int | np.random.Generator = 0,
    resamples: int = 2000,
    level: float = 0.95,
) -> Interval:
    """Percentile bootstrap interval of the mean of per-prompt values; deterministic per seed."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("bootstrap of an empty array")
    rng = np.random.default_rng(seed)
    rows = max(1, 2**22 // x.size)  # resample in blocks of about 4M draws to bound memory
    means = np.concatenate(
        [
            x[rng.integers(0, x.size, size=(min(rows, resamples - start), x.size))].mean(axis=1)
            for start in range(0, resamples, rows)
        ]
    )
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(x.mean()), float(low), float(high))


class Oracle(NamedTuple):
    """Per-prompt outcome of the oracle router: correctness, cost and chosen model index."""

    correct: BoolArray
    cost: FloatArray
    choice: NDArray[np.intp]


def oracle(correct: ArrayLike, cost: ArrayLike) -> Oracle:
    """The oracle that knows in advance which model to call on each prompt.

    Inputs are (prompts x models). On each prompt the oracle calls exactly one model: of the
    models whose answer is correct, the one with the lowest recorded cost on that prompt (ties:
    the earlier model); when none is correct, the lowest-cost model, answering wrong. Its cost
    is that one model's cost, never a sum over models tried.
    """
    ok = np.asarray(correct, dtype=bool)
    spend = np.asarray(cost, dtype=np.float64)
    if ok.ndim != 2 or ok.shape != spend.shape or ok.shape[1] == 0:
        raise ValueError("correct and cost must be (prompts x models) arrays of one shape")
    choice = np.argmin(np.where(ok, spend, np.inf), axis=1)
    choice = np.where(ok.any(axis=1), choice, np.argmin(spend, axis=1))
    rows = np.arange(ok.shape[0])
    return Oracle(ok[rows, choice], spend[rows, choice], choice)


def _percent(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else math.nan


def _points(costs: ArrayLike, accuracies: ArrayLike) -> tuple[FloatArray, FloatArray]:
    c = np.asarray(costs, dtype=np.float64).ravel()
    a = np.asarray(accuracies, dtype=np.float64).ravel()
    if c.size == 0 or c.shape != a.shape or not (np.isfinite(c).all() and np.isfinite(a).all()):
        raise ValueError("costs and accuracies must be non-empty, of one length, and finite")
    return c, a


def _below_chord(c: FloatArray, a: FloatArray, o: int, p: int, q: int) -> bool:
    """Whether p lies on or below the segment from o to q (so p is not a hull vertex)."""
    return bool((c[p] - c[o]) * (a[q] - a[o]) - (a[p] - a[o]) * (c[q] - c[o]) >= 0)


def _average_ranks(x: FloatArray) -> FloatArray:
    """1-based ranks of `x`, tied values sharing the mean of their ranks."""
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], x.size]
    ranks = np.empty(x.size)
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks
