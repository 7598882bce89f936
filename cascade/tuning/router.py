"""The learned pre-router: predict that the cheapest tier will fail and start such requests higher.

`Router` is an L2-regularized logistic regression (Newton steps on standardized features; no
randomness) over `prompt_features` plus the history feature of `cascade.tuning.features`. It is
plain data: `to_dict` gives lists, numbers and booleans only (JSON and TOML both hold them), and
`save`/`load` keep it in a JSON sidecar file next to a policy.

`tune_router` decides by k-fold cross-validation whether the router is worth turning on; see
`RouterChoice` for what "lower cost at equal quality" means exactly.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cascade.tuning.features import (
    DIM,
    FEATURE_NAMES,
    Bools,
    Floats,
    Ints,
    history,
    memory_index,
    prompt_features,
    training_history,
    word_sets,
)
from cascade.tuning.search import BAGS, NEVER, Objective, Validation, choose, choose_bagged
from cascade.tuning.simulate import Table, paid_costs, simulate

FORMAT = "cascade-router/1"


@dataclass(frozen=True, eq=False)
class Router:
    """Logistic regression giving the probability that the cheapest tier fails on a prompt."""

    weights: Floats  # one per standardized feature column
    bias: float
    means: Floats
    scales: Floats
    memory: tuple[Ints, ...]  # hashed word sets of the remembered training prompts
    failed: Bools  # whether the cheapest tier failed on each remembered prompt
    k: int = 10
    buckets: int = 0
    dim: int = DIM

    @classmethod
    def fit(
        cls,
        prompts: Sequence[str],
        cheap_failed: Sequence[bool] | Bools,
        *,
        k: int = 10,
        l2: float = 1.0,
        buckets: int = 0,
        remember: int = 1000,
        seed: int = 0,
    ) -> Router:
        """Fit on prompts and labels; at most ``remember`` prompts (a seeded sample) are kept
        for the history feature."""
        failed = np.asarray(cheap_failed, dtype=bool)
        if failed.shape != (len(prompts),):
            raise ValueError(f"{len(prompts)} prompts but {failed.shape} labels")
        rows = prompt_features(prompts, buckets)
        return _fit(rows, word_sets(prompts, DIM), failed, k, l2, buckets, remember, seed)

    def features(self, prompts: Sequence[str]) -> Floats:
        """The raw feature rows the router scores: text features, then history."""
        return self._rows(prompt_features(prompts, self.buckets), word_sets(prompts, self.dim))

    def predict_proba(self, prompts: Sequence[str]) -> Floats:
        """Probability, per prompt, that the cheapest tier fails."""
        return self._score(self.features(prompts))

    @functools.cached_property
    def _index(self) -> tuple[Floats, Floats]:
        return memory_index(self.memory, self.dim)

    def _rows(self, text: Floats, sets: Sequence[Ints]) -> Floats:
        near = history(sets, self.memory, self.failed, self.k, index=self._index)
        return np.column_stack([text, near])

    def _score(self, rows: Floats) -> Floats:
        return _sigmoid(((rows - self.means) / self.scales) @ self.weights + self.bias)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, numbers, booleans); the memory as compressed sparse rows."""
        lengths = [len(s) for s in self.memory]
        return {
            "format": FORMAT,
            "features": [*FEATURE_NAMES, *(f"bigram_{i}" for i in range(self.buckets)), "history"],
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "means": self.means.tolist(),
            "scales": self.scales.tolist(),
            "k": self.k,
            "buckets": self.buckets,
            "dim": self.dim,
            "memory_indptr": np.concatenate([[0], np.cumsum(lengths)]).astype(int).tolist(),
            "memory_indices": [int(i) for s in self.memory for i in s],
            "memory_failed": self.failed.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Router:
        """The router that `to_dict` described."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not a router of format {FORMAT!r}: {data.get('format')!r}")
        ptr, idx = data["memory_indptr"], np.asarray(data["memory_indices"], dtype=np.intp)
        memory = tuple(idx[a:b] for a, b in itertools.pairwise(ptr))
        failed = np.asarray(data["memory_failed"], dtype=bool)
        weights = np.asarray(data["weights"], dtype=np.float64)
        size = len(FEATURE_NAMES) + int(data["buckets"]) + 1
        if len(memory) != len(failed) or ptr[-1] != len(idx) or len(weights) != size:
            raise ValueError("router data is inconsistent: memory or weights have the wrong size")
        return cls(
            weights, float(data["bias"]), np.asarray(data["means"], dtype=np.float64),
            np.asarray(data["scales"], dtype=np.float64), memory, failed,
            int(data["k"]), int(data["buckets"]), int(data["dim"]),
        )  # fmt: skip

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the router as a JSON file."""
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")), "utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Router:
        """Read a router written by `save`."""
        return cls.from_dict(json.loads(Path(path).read_text("utf-8")))


def _fit(
    text: Floats, sets: Sequence[Ints], failed: Bools, k: int, l2: float, buckets: int,
    remember: int, seed: int,
) -> Router:  # fmt: skip
    n = len(failed)
    rng = np.random.default_rng(seed)
    kept = np.sort(rng.permutation(n)[:remember]) if n > remember else np.arange(n)
    near = training_history(sets, kept, failed, k)
    rows = np.column_stack([text, near])
    means, scales = rows.mean(axis=0), rows.std(axis=0)
    scales = np.where(scales > 1e-12, scales, 1.0)
    w = _newton((rows - means) / scales, failed.astype(np.float64), l2)
    return Router(w[:-1], float(w[-1]), means, scales, tuple(sets[i] for i in kept),
                  failed[kept], k, buckets, DIM)  # fmt: skip


def _sigmoid(z: Floats) -> Floats:
    out: Floats = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def _newton(z: Floats, y: Floats, l2: float, steps: int = 50) -> Floats:
    """Weights then bias minimizing log-loss + l2/2 |w|^2, by damped Newton steps."""
    a = np.column_stack([z, np.ones(len(z))])
    penalty = np.full(a.shape[1], l2)
    penalty[-1] = 1e-6  # keeps the Hessian invertible when every label is the same

    def loss(w: Floats) -> float:
        m = a @ w
        return float(np.sum(np.logaddexp(0.0, m) - y * m) + 0.5 * penalty @ (w * w))

    w = np.zeros(a.shape[1])
    for _ in range(steps):
        p = _sigmoid(a @ w)
        grad = a.T @ (p - y) + penalty * w
        hess = (a.T * (p * (1.0 - p))) @ a + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        t, before = 1.0, loss(w)
        while loss(w - t * step) > before and t > 1e-4:
            t /= 2
        w = w - t * step
        if np.max(np.abs(t * step)) < 1e-9:
            break
    return w


@dataclass(frozen=True)
class RouterChoice:
    """Whether to turn the pre-router on, and both tunings' held-out (cross-validated) results.

    Equal quality: the routed cascade's pooled held-out accuracy is at least ``quality_floor``,
    which is the objective's bar (``target`` x always-top accuracy), or thresholds alone's
    held-out accuracy where that is lower (they missed the bar on unseen prompts); under a cost
    cap it is thresholds alone's accuracy. The router is ``enabled`` when it has equal quality,
    the whole 95% bootstrap interval of its held-out cost change (``saving_ci``, routed minus
    thresholds alone, paired per prompt) is below zero, and the final tuning uses it (``tau`` is
    finite). Requests whose probability is at least ``tau`` start at tier ``start_tier``.
    """

    enabled: bool
    router: Router
    tau: float
    start_tier: int
    routed_thresholds: Floats
    baseline_thresholds: Floats
    routed: Validation
    baseline: Validation
    routed_share: float
    quality_floor: float
    saving_ci: tuple[float, float]

    @property
    def thresholds(self) -> Floats:
        """The thresholds to deploy: with the router when enabled, else thresholds alone."""
        return self.routed_thresholds if self.enabled else self.baseline_thresholds


def tune_router(
    prompts: Sequence[str],
    table: Table,
    objective: Objective,
    folds: int = 5,
    seed: int = 0,
    *,
    taus: int = 16,
    resamples: int = 1000,
    k: int = 10,
    l2: float = 1.0,
    buckets: int = 0,
    bags: int = BAGS,
) -> RouterChoice:
    """Cross-validate thresholds alone against router + thresholds; fit both on all the data.

    The router learns ``~table.correct[:, 0]``. Within each training set, the router's
    out-of-fold probabilities pick ``tau`` from their quantiles (and never), with thresholds
    re-chosen by `choose` on `Table.starting_at` for each candidate (plain, not bagged: there are
    many candidates); the held-out fold is then scored by the router fitted on the whole training
    set. The folds and the thresholds-alone choices (`choose_bagged` with ``bags``) are those of
    `cross_validate` for the same seed and ``bags``, so ``baseline`` matches it.
    """
    if len(prompts) != table.prompts:
        raise ValueError(f"{len(prompts)} prompts for a table of {table.prompts}")
    text, sets = prompt_features(prompts, buckets), word_sets(prompts, DIM)
    fit = _Fitter(text, sets, table, objective, folds, seed, taus, (k, l2, buckets))
    rng = np.random.default_rng(seed)
    order = rng.permutation(table.prompts)
    n = table.prompts
    base_ok, base_cost = np.zeros(n, bool), np.zeros(n)
    ok, cost, routed = np.zeros(n, bool), np.zeros(n), np.zeros(n, bool)
    for part in np.array_split(order, folds):
        train = np.setdiff1d(order, part)
        held = table.take(part)
        base = choose_bagged(table.take(train), objective, bags, seed).thresholds
        base_ok[part], base_cost[part] = _run(held, base)
        router, tau, th = fit.tune(train)
        routed[part] = router._score(router._rows(text[part], [sets[i] for i in part])) >= tau
        ok[part], cost[part] = _run(held.starting_at(routed[part].astype(np.intp)), th)
    top = simulate(table, np.full(table.tiers, NEVER))
    bar = objective.target * top.accuracy
    floor = base_ok.mean() if objective.max_cost_pct is not None else min(bar, base_ok.mean())
    saving = _ci(cost - base_cost, rng, resamples)
    router, tau, th = fit.tune(np.arange(n))

    def held_out(right: Bools, paid: Floats) -> Validation:
        return Validation(float(right.mean()), float(paid.mean()), _ci(right, rng, resamples),
                          _ci(paid, rng, resamples), top.accuracy, top.cost, folds)  # fmt: skip

    enabled = bool(ok.mean() >= floor - 1e-12 and saving[1] < 0 and np.isfinite(tau))
    return RouterChoice(
        enabled, router, tau, 1, th, choose_bagged(table, objective, bags, seed).thresholds,
        held_out(ok, cost),
        held_out(base_ok, base_cost), float(routed.mean()), float(floor), saving,
    )  # fmt: skip


@dataclass(frozen=True)
class _Fitter:
    """Fits router, tau and thresholds on a subset of the rows, the same way every time."""

    text: Floats
    sets: Sequence[Ints]
    table: Table
    objective: Objective
    folds: int
    seed: int
    taus: int
    options: tuple[int, float, int]

    def router(self, rows: Ints) -> Router:
        """The router fitted on ``rows``."""
        k, l2, buckets = self.options
        failed = ~self.table.correct[rows, 0]
        sets = [self.sets[i] for i in rows]
        return _fit(self.text[rows], sets, failed, k, l2, buckets, 1000, self.seed)

    def tune(self, rows: Ints) -> tuple[Router, float, Floats]:
        """Router on ``rows``; tau and thresholds chosen on its out-of-fold probabilities."""
        p = np.zeros(len(rows))
        order = np.random.default_rng(self.seed).permutation(len(rows))
        for part in np.array_split(order, self.folds):
            r = self.router(rows[np.setdiff1d(order, part)])
            p[part] = r._score(r._rows(self.text[rows[part]], [self.sets[rows[i]] for i in part]))
        table = self.table.take(rows)
        best: tuple[tuple[float, ...], float, Floats] | None = None
        for tau in [NEVER, *np.unique(np.quantile(p, np.linspace(0.0, 1.0, self.taus)))]:
            routed = table.starting_at((p >= tau).astype(np.intp))
            choice = choose(routed, self.objective)
            key = _key(
                choice.outcome.accuracy, choice.outcome.cost, choice.feasible, self.objective
            )
            if best is None or key < best[0]:
                best = (key, float(tau), choice.thresholds)
        assert best is not None
        return self.router(rows), best[1], best[2]


def _key(accuracy: float, cost: float, feasible: bool, objective: Objective) -> tuple[float, ...]:
    """Sort key, smaller is better: feasible first, then cost (or accuracy under a cost cap)."""
    if objective.max_cost_pct is not None:
        return (0.0, -accuracy, cost) if feasible else (1.0, cost, -accuracy)
    return (0.0, cost, -accuracy) if feasible else (1.0, -accuracy, cost)


def _run(table: Table, thresholds: Floats) -> tuple[Bools, Floats]:
    """Per prompt: whether the cascade's answer is right, and what it paid."""
    stop = simulate(table, thresholds).stop_tier
    rows = np.arange(table.prompts)
    paid = np.cumsum(paid_costs(table.costs, thresholds), axis=1)[rows, stop]
    return table.correct[rows, stop], paid


def _ci(values: Floats | Bools, rng: np.random.Generator, resamples: int) -> tuple[float, float]:
    """95% bootstrap interval of the mean."""
    means = np.asarray(values, dtype=np.float64)[
        rng.integers(0, len(values), (resamples, len(values)))
    ].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)
