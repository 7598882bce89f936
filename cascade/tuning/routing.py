"""The pre-router's part of `cascade tune`: tune it when the data allows, keep it only when it
beats thresholds alone, and report both."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cascade.tuning.data import Dataset
from cascade.tuning.router import RouterChoice, tune_router
from cascade.tuning.search import Objective, Validation

ROUTER_ROWS = 2000  # the pre-router is tuned on at most this many prompts (a seeded sample)


def try_router(
    data: Dataset, objective: Objective, folds: int, seed: int, bags: int
) -> RouterChoice | None:
    """Tune the pre-router when the data can support it: prompt texts (traces keep only a hash
    unless prompts were opted in) and more than one tier. ``bags`` is the thresholds-alone
    search's (`cascade.tuning.search.bags_for` of the whole data), for its baseline."""
    if data.table.tiers < 2 or not all(data.prompts):
        return None
    if data.table.prompts > ROUTER_ROWS:  # a small logistic model: a sample is plenty, and fast
        rows = np.sort(np.random.default_rng(seed).choice(data.table.prompts, ROUTER_ROWS, False))
        data = data.take(rows)
    return tune_router(data.prompts, data.table, objective, folds=folds, seed=seed, bags=bags)


def beats(routed: Validation, alone: Validation, objective: Objective) -> bool:
    """Whether the router's held-out result (tuned on a sample when the data is large) beats
    thresholds alone tuned on all of it: cheaper, at their accuracy or the objective's bar."""
    bar = objective.target * alone.top_accuracy if objective.max_cost_pct is None else 1.0
    return routed.cost < alone.cost and routed.accuracy >= min(bar, alone.accuracy) - 1e-12


def router_provenance(r: RouterChoice) -> dict[str, object]:
    b, v = r.baseline, r.routed
    return {
        "router": "on" if r.enabled else "off (no held-out saving at equal quality)",
        "router_heldout_accuracy": round(v.accuracy, 4),
        "router_heldout_cost_usd": v.cost,
        "router_routed_share": round(r.routed_share, 4),
        "thresholds_alone_heldout_accuracy": round(b.accuracy, 4),
        "thresholds_alone_heldout_cost_usd": b.cost,
        "router_cost_change_ci95": [r.saving_ci[0], r.saving_ci[1]],
    }


def router_start(columns: Sequence[int] | None, start: int) -> int:
    """The tuned policy's tier where routed requests start: traces keep every tier of the
    source policy (``columns`` are their indexes); recordings keep one tier per column."""
    return columns[start] if columns is not None else start


def router_line(r: RouterChoice, written: bool) -> str:
    b, v = r.baseline, r.routed
    state = "on" if r.enabled else "off"
    if r.enabled and not written:
        state += " (kept only in a written policy: pass out=/--out)"
    return (
        f"pre-router {state}: held-out with it accuracy {v.accuracy:.3f}, cost {v.cost:.3g} "
        f"({100 * r.routed_share:.0f}% of prompts start higher); thresholds alone accuracy "
        f"{b.accuracy:.3f}, cost {b.cost:.3g}"
    )
