"""Turn evaluations into the results document: one row per recording and method, and per
recording its APGRs, costs to reach the top model's accuracy, verifier AUCs, sweeps and hull."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.baselines import Outcome
from benchmarks.harness import Evaluation
from benchmarks.metrics import (
    Point,
    accuracy_at,
    apgr,
    bootstrap_mean,
    costs_to_match,
    percent_of_top,
    upper_hull,
)
from cascade.tuning.search import Validation

__all__ = ["FRACTIONS", "clean", "summarize"]

FRACTIONS = (0.95, 0.99, 1.0)


def summarize(evaluations: Sequence[Evaluation], seed: int = 0) -> dict[str, Any]:
    """The results document (JSON-ready once passed through `clean`)."""
    rows: list[dict[str, Any]] = []
    recordings: dict[str, Any] = {}
    for ev in evaluations:
        some_rows, recordings[ev.recording.name] = _recording(ev, seed)
        rows += some_rows
    return {"rows": rows, "recordings": recordings}


def clean(value: Any) -> Any:
    """`value` with NaN and infinities as None, tuples as lists: strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def _recording(ev: Evaluation, seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    name, models = ev.recording.name, ev.models
    pts = {m: o.point for m, o in ev.outcomes.items()}
    top, cheap = pts[f"always:{models[-1]}"], pts[f"always:{models[0]}"]
    always_pts = [pts[f"always:{m}"] for m in models]
    policies = [m for m in ev.outcomes if m.startswith("policy:")]
    hull = upper_hull([p.cost for p in always_pts], [p.accuracy for p in always_pts])
    at = max(pts[policies[0]].cost if policies else top.cost, float(hull.costs[0]))
    mixture = Point(at, accuracy_at(hull, at))
    curves: dict[str, list[Point]] = {f"always:{m}": [pts[f"always:{m}"]] for m in models}
    curves["oracle"] = [pts["oracle"]]
    curves["mixture"] = always_pts
    for method, sweep in ev.sweeps.items():
        curves[method] = [o.point for o in sweep.values()]
        if method in policies:
            curves[method].append(pts[method])
    rows = []
    for method in _order(list(ev.outcomes)):
        if method == "mixture":
            rows.append(_row(name, method, mixture, top, None, seed))
            rows[-1]["at_cost_of"] = policies[0] if policies else f"always:{models[-1]}"
        else:
            rows.append(_row(name, method, pts[method], top, ev.outcomes[method], seed))
    info = {
        "task_kind": ev.recording.manifest.task_kind,
        "models": list(models),
        "prompts": ev.prompts,
        "partial": ev.recording.manifest.partial,
        "recorded": ev.recording.manifest.records,
        "top_model": models[-1],
        "cheapest_model": models[0],
        "judge": ev.judge,
        "notes": ev.notes,
        "apgr": {m: apgr(*_xy(c), cheap, top) for m, c in curves.items()},
        "cost_to_reach": {
            m: {
                f"{f:.0%}": c
                for f, c in costs_to_match(upper_hull(*_xy(pc)), top.accuracy, FRACTIONS).items()
            }
            for m, pc in curves.items()
        },
        "roc_auc": ev.roc,
        "tuned": {m: _tuned(v, top) for m, v in ev.tuned.items()},
        "mixture_hull": {
            "cost_per_prompt_usd": hull.costs.tolist(),
            "accuracy": hull.accuracies.tolist(),
        },
        "sweeps": {m: _sweep(s) for m, s in ev.sweeps.items()},
    }
    return rows, info


def _order(methods: list[str]) -> list[str]:
    first = [m for m in methods if m.startswith("always:")] + ["oracle", "mixture"]
    return first + [m for m in methods if m not in first]


def _xy(points: Sequence[Point]) -> tuple[list[float], list[float]]:
    return [p.cost for p in points], [p.accuracy for p in points]


def _row(
    recording: str, method: str, pt: Point, top: Point, outcome: Outcome | None, seed: int
) -> dict[str, Any]:
    pct = percent_of_top(pt, top)
    row: dict[str, Any] = {
        "recording": recording,
        "method": method,
        "accuracy": pt.accuracy,
        "cost_per_prompt_usd": pt.cost,
        "cost_pct_of_top": pct.cost,
        "accuracy_pct_of_top": pct.accuracy,
        "escalation_rate": None if outcome is None else outcome.escalation_rate,
        "calls_per_prompt": 1.0 if outcome is None else float(outcome.calls.mean()),
    }
    if outcome is not None:
        row["escalation_by_tier"] = outcome.escalation_by_tier()
        acc, cost = (
            bootstrap_mean(outcome.correct, seed=seed),
            bootstrap_mean(outcome.cost, seed=seed),
        )
        row["accuracy_ci95"] = [acc.low, acc.high]
        row["cost_ci95"] = [cost.low, cost.high]
    return row


def _sweep(sweep: Mapping[float, Outcome]) -> list[dict[str, Any]]:
    return [
        {
            "threshold": t,
            "accuracy": o.point.accuracy,
            "cost_per_prompt_usd": o.point.cost,
            "escalation_rate": o.escalation_rate,
        }
        for t, o in sweep.items()
    ]


def _tuned(v: Validation, top: Point) -> dict[str, object]:
    """A cross-validated tuning estimate, as shares of the always-top row like every other row
    (not of the policy's own top tier, which may draw more samples or pay for verifiers)."""
    mid = percent_of_top(Point(v.cost, v.accuracy), top)
    low = percent_of_top(Point(v.cost_ci[0], v.accuracy_ci[0]), top)
    high = percent_of_top(Point(v.cost_ci[1], v.accuracy_ci[1]), top)
    return {
        "accuracy": v.accuracy,
        "accuracy_ci95": list(v.accuracy_ci),
        "cost_per_prompt_usd": v.cost,
        "cost_ci95": list(v.cost_ci),
        "accuracy_pct_of_top": mid.accuracy,
        "accuracy_pct_ci95": [low.accuracy, high.accuracy],
        "cost_pct_of_top": mid.cost,
        "cost_pct_ci95": [low.cost, high.cost],
        "folds": v.folds,
    }
