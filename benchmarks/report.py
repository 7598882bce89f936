"""The Markdown report of a benchmark run: a summary, then tables per recording."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["HEADLINE", "RESUME", "partial_note", "render", "summary_table", "tuned_table"]

#: Methods shown in the summary table besides the policies.
HEADLINE = ("oracle", "mixture", "vote-cascade")


#: How the project's partial recordings go on, for the partial-recordings note.
RESUME = "still being made (`python -m benchmarks.record` resumes them)"


def render(
    results: Mapping[str, Any], command: str, judge: str, seed: int, resume: str = RESUME
) -> str:
    """The whole report as Markdown; ``resume`` says how partial recordings go on."""
    out = [
        "# Benchmark: replay of recorded model answers",
        "",
        f"Command: `{command}`",
        "",
        f"Judge verifiers: {judge}. Seed {seed} (bootstrap intervals; record sampling with "
        "`--limit`). Costs are mean USD per prompt; percentages are of the always-top model "
        "(the ladder's last).",
        "",
        "## Summary",
        "",
        *summary_table(results),
        *partial_note(results, resume),
        *tuned_table(results),
    ]
    for name, info in results["recordings"].items():
        rows = [r for r in results["rows"] if r["recording"] == name]
        out += ["", *_recording(name, info, rows)]
    return "\n".join(out) + "\n"


def partial_note(results: Mapping[str, Any], resume: str = RESUME) -> list[str]:
    """A line naming the recordings that hold only part of their suite, if any, and ``resume``:
    how they go on."""
    partial = [
        f"{name} ({info['recorded']} prompt{'' if info['recorded'] == 1 else 's'} so far)"
        for name, info in results["recordings"].items()
        if info.get("partial")
    ]
    if not partial:
        return []
    return [
        "",
        f"Partial recordings, {resume}: {', '.join(partial)}.",
    ]


def tuned_table(results: Mapping[str, Any]) -> list[str]:
    """What `cascade tune` would make of each policy on each recording (at least 30 prompts):
    5-fold cross-validation, each fold scored by thresholds tuned without it."""
    rows = [
        _cells(
            name,
            method,
            _pct_ci(t["accuracy_pct_of_top"], t["accuracy_pct_ci95"]),
            _pct_ci(t["cost_pct_of_top"], t["cost_pct_ci95"]),
        )
        for name, info in results["recordings"].items()
        for method, t in info.get("tuned", {}).items()
    ]
    if not rows:
        return []
    return [
        "",
        "If tuned (`cascade tune`, target 99% of always-top; 5-fold cross-validation: every fold "
        "scored by thresholds tuned on the other four):",
        "",
        *_table(["recording", "policy", "accuracy % of top [95% interval]", "cost % of top [95%]"]),
        *rows,
    ]


def summary_table(results: Mapping[str, Any]) -> list[str]:
    """Accuracy and cost as % of the top model, headline methods of every recording."""
    lines = _table(["recording", "method", "accuracy", "acc % of top", "cost % of top", "APGR"])
    for name, info in results["recordings"].items():
        top = f"always:{info['top_model']}"
        for row in results["rows"]:
            method = row["method"]
            if row["recording"] != name:
                continue
            if method == top or method in HEADLINE or method.startswith("policy:"):
                label = f"{method} (top)" if method == top else method
                lines.append(
                    _cells(
                        name,
                        label,
                        _f(row["accuracy"], 3),
                        _pct(row["accuracy_pct_of_top"]),
                        _pct(row["cost_pct_of_top"]),
                        _f(info["apgr"].get(method), 3),
                    )
                )
    return lines


def _recording(name: str, info: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    out = [
        f"## {name}",
        "",
        f"Task kind `{info['task_kind']}`, {info['prompts']} prompts, ladder "
        + " -> ".join(info["models"])
        + ".",
        "",
        f"Judge: {info['judge']}.",
    ]
    out += [f"Note: {note}." for note in info["notes"]]
    out += ["", *_methods(info, rows), ""]
    mixture = next((r for r in rows if r["method"] == "mixture"), None)
    if mixture is not None:
        out += [
            f"The mixture row is the always- hull at the cost of {mixture['at_cost_of']}; "
            f"its hull: {_hull(info['mixture_hull'])}.",
            "",
        ]
    out += [
        "Cost to reach a share of the top model's accuracy (% of its cost; hull of each "
        "method's points):",
        "",
        *_reach(info, rows),
        "",
    ]
    out += [
        "Verifier ROC-AUC at the cheapest tier (score against the chosen answer's label):",
        "",
        *_roc(info),
        "",
    ]
    out += ["Threshold sweeps (the same threshold on every tier):", "", *_sweeps(info, rows)]
    return out


def _methods(info: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = _table(
        [
            "method",
            "accuracy [95% CI]",
            "cost/prompt USD [95% CI]",
            "cost % top",
            "acc % top",
            "escalation",
            "by tier",
            "calls/prompt",
            "APGR",
        ]
    )
    for r in rows:
        acc = _f(r["accuracy"], 3) + _ci(r.get("accuracy_ci95"), 3)
        cost = _e(r["cost_per_prompt_usd"]) + _ci(r.get("cost_ci95"), None)
        tiers = " / ".join(_f(x, 2) for x in r.get("escalation_by_tier") or []) or "-"
        lines.append(
            _cells(
                r["method"],
                acc,
                cost,
                _pct(r["cost_pct_of_top"]),
                _pct(r["accuracy_pct_of_top"]),
                _f(r["escalation_rate"], 3),
                tiers,
                _f(r["calls_per_prompt"], 2),
                _f(info["apgr"].get(r["method"]), 3),
            )
        )
    return lines


def _reach(info: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    top_cost = _top(info, rows)["cost_per_prompt_usd"]
    lines = _table(["method", "95%", "99%", "100%"])
    for method, costs in info["cost_to_reach"].items():
        cells = [_reach_cell(c, top_cost) for c in costs.values()]
        lines.append(_cells(method, *cells))
    return lines


def _reach_cell(cost: float | None, top_cost: float | None) -> str:
    if cost is None or cost == float("inf"):
        return "never"
    return _pct(100 * cost / top_cost) if top_cost else _e(cost)


def _roc(info: Mapping[str, Any]) -> list[str]:
    lines = _table(["method", "verifier", "ROC-AUC"])
    for method, aucs in info["roc_auc"].items():
        for verifier, auc in aucs.items():
            note = " (one class only)" if auc is None or auc != auc else ""
            lines.append(_cells(method, verifier, _f(auc, 3) + note))
    return lines


def _sweeps(info: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    top = _top(info, rows)
    lines = _table(["method", "threshold", "accuracy", "cost % top", "escalation"])
    for method, points in info["sweeps"].items():
        for p in points:
            share = 100 * p["cost_per_prompt_usd"] / top["cost_per_prompt_usd"]
            lines.append(
                _cells(
                    method,
                    _f(p["threshold"], 1),
                    _f(p["accuracy"], 3),
                    _pct(share),
                    _f(p["escalation_rate"], 3),
                )
            )
    return lines


def _top(info: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    return next(r for r in rows if r["method"] == f"always:{info['top_model']}")


def _hull(hull: Mapping[str, Sequence[float]]) -> str:
    pairs = zip(hull["cost_per_prompt_usd"], hull["accuracy"], strict=True)
    return ", ".join(f"({_e(c)}, {a:.3f})" for c, a in pairs)


def _table(header: Sequence[str]) -> list[str]:
    return [_cells(*header), _cells(*("---" for _ in header))]


def _cells(*cells: str | Iterable[str]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _f(x: float | None, digits: int) -> str:
    return "-" if x is None or x != x else f"{x:.{digits}f}"


def _e(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.2e}"


def _pct(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.1f}%"


def _pct_ci(x: float | None, ci: Sequence[float | None]) -> str:
    return f"{_pct(x)} [{_pct(ci[0])}, {_pct(ci[1])}]"


def _ci(ci: Sequence[float] | None, digits: int | None) -> str:
    if not ci:
        return ""
    if digits is None:
        return f" [{_e(ci[0])}, {_e(ci[1])}]"
    return f" [{_f(ci[0], digits)}, {_f(ci[1], digits)}]"
