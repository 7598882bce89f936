"""The cost-quality plot: one panel per recording, cost per prompt (log) against accuracy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["EXTRA", "MissingPlotting", "plot", "require_matplotlib"]

EXTRA = 'bench = ["matplotlib>=3.8"]'
_POLICY_COLORS = ("tab:red", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")


class MissingPlotting(RuntimeError):
    """matplotlib is not installed."""


def require_matplotlib() -> None:
    """Fail early, naming the extra to install, when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise MissingPlotting(
            "the cost-quality plot needs matplotlib: pip install 'tiercascade[bench]' "
            "(or pip install matplotlib); --no-plot skips the plot"
        ) from exc


def plot(results: Mapping[str, Any], path: Path) -> None:
    """Draw every recording's methods into one PNG at `path`."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["recordings"])
    cols = min(3, len(names) + 1)
    rows = math.ceil((len(names) + 1) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 4.6 * rows), squeeze=False)
    generic = all(
        sum(r["method"].startswith("policy:") and r["recording"] == n for r in results["rows"]) <= 1
        for n in names
    )
    legend: dict[str, Any] = {}
    for ax, name in zip(axes.flat, names, strict=False):
        info = results["recordings"][name]
        _panel(ax, name, info, [r for r in results["rows"] if r["recording"] == name], generic)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    spare = list(axes.flat)[len(names) :]
    for ax in spare:
        ax.axis("off")
    spare[0].legend(
        list(legend.values()),
        list(legend),
        loc="center",
        fontsize=9,
        title="methods",
        frameon=False,
    )
    fig.suptitle("Cost and accuracy per method (replayed recordings)", fontsize=13)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _panel(
    ax: Any, name: str, info: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], generic: bool
) -> None:
    by = {r["method"]: r for r in rows}
    top = f"always:{info['top_model']}"
    hull = info["mixture_hull"]
    ax.plot(
        hull["cost_per_prompt_usd"],
        hull["accuracy"],
        "--",
        color="0.55",
        lw=1.2,
        label="mixture (hull of always-)",
        zorder=1,
    )
    for model in info["models"]:
        r = by[f"always:{model}"]
        ax.scatter(r["cost_per_prompt_usd"], r["accuracy"], s=22, color="0.45", zorder=2)
        ax.annotate(
            _short(model),
            (r["cost_per_prompt_usd"], r["accuracy"]),
            fontsize=6.5,
            color="0.35",
            xytext=(3, -8),
            textcoords="offset points",
        )
    ax.scatter([], [], s=22, color="0.45", label="always-<model>")
    t = by[top]
    ax.scatter(
        t["cost_per_prompt_usd"],
        t["accuracy"],
        s=80,
        marker="s",
        facecolor="none",
        edgecolor="black",
        lw=1.5,
        label="always-top",
        zorder=4,
    )
    o = by["oracle"]
    ax.scatter(
        o["cost_per_prompt_usd"],
        o["accuracy"],
        s=140,
        marker="*",
        color="goldenrod",
        edgecolor="black",
        lw=0.6,
        label="oracle",
        zorder=5,
    )
    _curve(
        ax,
        info["sweeps"].get("vote-cascade", []),
        by.get("vote-cascade"),
        "tab:blue",
        "vote-cascade",
    )
    policies = [m for m in by if m.startswith("policy:")]
    for i, method in enumerate(policies):
        color = _POLICY_COLORS[i % len(_POLICY_COLORS)]
        _curve(
            ax,
            info["sweeps"].get(method, []),
            by[method],
            color,
            "policy under test" if generic else method,
        )
    ax.set_xscale("log")
    ax.margins(x=0.12, y=0.06)
    ax.set_xlabel("mean cost per prompt (USD, log scale)")
    ax.set_ylabel("accuracy")
    title = f"{name} ({info['task_kind']}, {info['prompts']} prompts)"
    if generic and policies:
        title += f"\npolicy under test: {policies[0]}"
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)


def _curve(
    ax: Any,
    sweep: Sequence[Mapping[str, Any]],
    row: Mapping[str, Any] | None,
    color: str,
    label: str,
) -> None:
    points = sorted((p["cost_per_prompt_usd"], p["accuracy"]) for p in sweep)
    if points:
        xs, ys = zip(*points, strict=True)
        ax.plot(
            xs,
            ys,
            "-o",
            color=color,
            ms=3,
            lw=1.1,
            alpha=0.8,
            zorder=3,
            label=f"{label}: threshold swept",
        )
    if row is not None:
        ax.scatter(
            row["cost_per_prompt_usd"],
            row["accuracy"],
            s=70,
            marker="D",
            color=color,
            edgecolor="black",
            lw=0.6,
            zorder=6,
            label=f"{label}: reported row",
        )


def _short(model: str) -> str:
    return model if len(model) <= 16 else model[:15] + "."
