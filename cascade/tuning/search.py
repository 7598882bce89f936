"""Threshold search: the cheapest thresholds that keep accuracy at a target, with validation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cascade.tuning.simulate import Floats, Outcome, Table, paid_costs, simulate

NEVER = np.inf  # a threshold no score meets: the tier always escalates
BAGS = 25  # bootstrap resamples pooled by `choose_bagged`
BAG_LIMIT = 1000  # above this many prompts one choice varies little, and bagging costs seconds


@dataclass(frozen=True)
class Objective:
    """Least cost with accuracy >= ``target`` x always-top's, or best accuracy under a cost cap.

    ``max_cost_pct`` (percent of always-top's mean cost) switches to the second form.
    """

    target: float = 0.99
    max_cost_pct: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.target <= 1.0:
            raise ValueError(f"target quality must be in (0, 1], got {self.target}")
        if self.max_cost_pct is not None and self.max_cost_pct <= 0:
            raise ValueError(f"max cost must be a positive percentage, got {self.max_cost_pct}")


@dataclass(frozen=True)
class Choice:
    """Thresholds and what they achieve on the data they were chosen on."""

    thresholds: Floats
    outcome: Outcome
    feasible: bool


def grid(scores: Floats, size: int = 48) -> Floats:
    """Candidate thresholds for one tier: score quantiles, 0 (always accept) and never."""
    seen = scores[np.isfinite(scores)]
    qs = np.quantile(seen, np.linspace(0.0, 1.0, size)) if seen.size else np.empty(0)
    return np.unique(np.concatenate([[0.0], qs, np.nextafter(qs, np.inf), [NEVER]]))


def choose(table: Table, objective: Objective, size: int = 48) -> Choice:
    """The best thresholds on ``table`` for ``objective``.

    Two or three tiers: every combination of grid values (vectorized over the last free tier).
    More tiers: coordinate descent over the same grids, from "always escalate".
    """
    top = simulate(table, np.full(table.tiers, NEVER))
    axes = [grid(table.scores[:, k], size) for k in range(table.tiers - 1)]
    th = np.array([NEVER] * (table.tiers - 1) + [0.0])
    if not axes:
        return Choice(th, simulate(table, th), True)
    if len(axes) <= 2:
        outer = axes[0] if len(axes) == 2 else np.array([NEVER])
        best: tuple[tuple[float, ...], Floats] | None = None
        for v in outer:
            if len(axes) == 2:
                th[0] = v
            k = len(axes) - 1
            value, key = _best_on_axis(table, th, k, axes[k], objective, top)
            if best is None or key < best[0]:
                trial = th.copy()
                trial[k] = value
                best = (key, trial)
        assert best is not None
        th = best[1]
    else:
        for _ in range(8):
            before = th.copy()
            for k, axis in enumerate(axes):
                th[k] = _best_on_axis(table, th, k, axis, objective, top)[0]
            if np.array_equal(before, th):
                break
    out = simulate(table, th)
    return Choice(th, out, _rank(out, objective, top)[0])


def bags_for(prompts: int) -> int:
    """How many bootstrap resamples `choose_bagged` pools for ``prompts`` rows: `BAGS` up to
    `BAG_LIMIT`, then 0 (a plain `choose`)."""
    return BAGS if prompts <= BAG_LIMIT else 0


def choose_bagged(
    table: Table, objective: Objective, bags: int = BAGS, seed: int = 0, size: int = 48
) -> Choice:
    """`choose` made stable on small data by bagging.

    The least-cost thresholds that meet a target on a few dozen prompts sit on the edge of what
    those prompts allow: one lucky prompt moves a threshold a long way (for example to "accept
    every answer of the middle tier"), and unseen prompts then fall short of the target. So
    ``choose`` runs on ``bags`` bootstrap resamples of the rows and each tier takes the median of
    their thresholds (the upper median, so it is one of the choices). Aimed at unseen prompts, the
    result may fall a little short of a quality target on ``table`` itself (``feasible`` says
    so); a cost cap is a hard limit, so when the bagged thresholds pass it on ``table``, the plain
    choice is returned instead. ``bags`` 0 is plain `choose`; `bags_for` picks it by table size.
    ``benchmarks/bagging.py`` measures the effect on held-out prompts.
    """
    if bags <= 0:
        return choose(table, objective, size)
    rng = np.random.default_rng(seed)
    picks = np.array(
        [
            choose(
                table.take(rng.integers(0, table.prompts, table.prompts)), objective, size
            ).thresholds
            for _ in range(bags)
        ]
    )
    th = np.quantile(picks, 0.5, axis=0, method="higher")
    top = simulate(table, np.full(table.tiers, NEVER))
    out = simulate(table, th)
    feasible = _rank(out, objective, top)[0]
    if not feasible and objective.max_cost_pct is not None:
        return choose(table, objective, size)
    return Choice(th, out, feasible)


def _best_on_axis(
    table: Table, th: Floats, k: int, axis: Floats, objective: Objective, top: Outcome
) -> tuple[float, tuple[float, ...]]:
    """The best value for tier ``k``'s threshold with the others fixed, and its sort key."""
    acc, cost = sweep(table, th, k, axis)
    best_key: tuple[float, ...]
    best_i, best_key = 0, (float(np.inf),)
    for i in range(len(axis)):
        key = _rank(Outcome(float(acc[i]), float(cost[i]), _NO_STOP), objective, top)[1]
        if key < best_key:
            best_i, best_key = i, key
    return float(axis[best_i]), best_key


_NO_STOP = np.zeros(0, dtype=np.intp)


def _rank(out: Outcome, objective: Objective, top: Outcome) -> tuple[bool, tuple[float, ...]]:
    """Feasibility and a sort key (smaller is better)."""
    if objective.max_cost_pct is not None:
        cap = top.cost * objective.max_cost_pct / 100
        feasible = out.cost <= cap + 1e-15
        primary = -out.accuracy if feasible else out.cost
        return feasible, (0.0 if feasible else 1.0, primary, out.cost)
    need = objective.target * top.accuracy
    feasible = out.accuracy >= need - 1e-12
    primary = out.cost if feasible else -out.accuracy
    return feasible, (0.0 if feasible else 1.0, primary, -out.accuracy)


def sweep(table: Table, th: Floats, k: int, axis: Floats) -> tuple[Floats, Floats]:
    """Accuracy and mean cost for every value of tier ``k``'s threshold, others fixed."""
    n, tiers = table.scores.shape
    accept = table.scores >= th[None, :]
    accept[:, -1] = True
    reach = ~np.any(accept[:, :k], axis=1)  # not accepted by an earlier tier
    rows = np.arange(n)
    others = th.copy()
    others[k] = 0.0  # tier k's own cost is handled per axis value below
    cum = np.cumsum(paid_costs(table.costs, others), axis=1)
    pre_stop = np.argmax(accept[:, :k], axis=1) if k else np.zeros(n, dtype=np.intp)
    pre_correct = np.where(reach, 0.0, table.correct[rows, pre_stop])
    pre_cost = np.where(reach, 0.0, cum[rows, pre_stop])
    later = accept[:, k + 1 :].copy()
    if later.shape[1]:
        later[:, -1] = True
        after = k + 1 + np.argmax(later, axis=1)
    else:
        after = np.full(n, k)
    go_on_correct = table.correct[rows, after].astype(float)
    go_on_cost = cum[rows, after]
    take = (
        (table.scores[None, :, k] >= axis[:, None])
        if k < tiers - 1
        else np.ones((len(axis), n), bool)
    )
    r = reach.astype(float)
    acc = pre_correct.sum() + take @ (r * table.correct[:, k]) + (~take) @ (r * go_on_correct)
    cost = pre_cost.sum() + take @ (r * cum[:, k]) + (~take) @ (r * go_on_cost)
    skipped = ~np.isfinite(axis)  # a skipped tier k is not called: its cost is not paid
    cost = cost - np.where(skipped, float(np.sum(r * table.costs[:, k])), 0.0)
    return acc / n, cost / n


@dataclass(frozen=True)
class Validation:
    """Held-out performance of the tuning procedure, by k-fold cross-validation."""

    accuracy: float
    cost: float
    accuracy_ci: tuple[float, float]
    cost_ci: tuple[float, float]
    top_accuracy: float
    top_cost: float
    folds: int


def cross_validate(
    table: Table,
    objective: Objective,
    folds: int = 5,
    seed: int = 0,
    resamples: int = 1000,
    bags: int = BAGS,
) -> Validation:
    """Tune on k-1 folds (`choose_bagged` with ``bags``), evaluate on the held-out one; pool the
    held-out prompts."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(table.prompts)
    correct = np.zeros(table.prompts, dtype=bool)
    cost = np.zeros(table.prompts)
    for part in np.array_split(order, folds):
        train = np.setdiff1d(order, part)
        th = choose_bagged(table.take(train), objective, bags, seed).thresholds
        held = table.take(part)
        out = simulate(held, th)
        rows = np.arange(len(part))
        correct[part] = held.correct[rows, out.stop_tier]
        cost[part] = np.cumsum(paid_costs(held.costs, th), axis=1)[rows, out.stop_tier]
    top = simulate(table, np.full(table.tiers, NEVER))
    return Validation(
        float(correct.mean()),
        float(cost.mean()),
        _ci(correct.astype(float), rng, resamples),
        _ci(cost, rng, resamples),
        top.accuracy,
        top.cost,
        folds,
    )


def _ci(
    values: npt.NDArray[np.float64], rng: np.random.Generator, resamples: int
) -> tuple[float, float]:
    idx = rng.integers(0, len(values), size=(resamples, len(values)))
    means = values[idx].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)
