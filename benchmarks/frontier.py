"""What a policy's verifiers could reach at best on a recording: thresholds and samples per tier
tuned on the very prompts they are scored on.

    python -m benchmarks.frontier [--target 0.99] [--policy NAME_OR_PATH] PATHS...

Each tier below the top is replayed (`cascade.tuning.data.from_recording`, the real verifiers of
the policy: the task kind's preset unless ``--policy``) with k samples, k from 1, 3, 5, 10, 20 up
to what was recorded; the top tier answers with one sample, as always-top does. For every
combination of k, `choose` finds the least-cost thresholds reaching ``target`` x always-top's
accuracy on all the prompts (over its grid of score quantiles; by coordinate descent beyond
three tiers). Fitted to the prompts it is scored on, the result is what tuning these signals
could hope for: a held-out cost below it would be luck, and "only always-top" means that no
threshold setting the search can find meets the target even in hindsight. Ladders of more than
three models are searched at one sample per tier (the product grows fast). A tier the best
setting never calls shows as "skip".
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence

import numpy as np

from cascade.policy import Policy, load_policy
from cascade.recordings import Recording, find_recordings
from cascade.tuning.data import from_recording
from cascade.tuning.search import NEVER, Objective, choose
from cascade.tuning.simulate import Table, simulate

SAMPLES = (1, 3, 5, 10, 20)


def columns(rec: Recording, policy: Policy) -> dict[tuple[int, int], Table]:
    """Per (tier, samples): that tier's one-column table (score, label, cost)."""
    records = rec.load()
    models = rec.manifest.model_names
    recorded = min(len(r.samples[m]) for r in records for m in models[:-1])
    ks = [k for k in SAMPLES if k <= recorded] or [1]
    if len(models) > 3:
        ks = [1]
    out: dict[tuple[int, int], Table] = {}
    for k in sorted(set(ks) | {1}):
        tiers = tuple(t.model_copy(update={"samples": k}) for t in policy.tiers)
        table = from_recording(rec, policy.model_copy(update={"tiers": tiers})).table
        for j in range(table.tiers):
            if k in ks or j == table.tiers - 1:
                out[(j, k)] = Table(
                    table.scores[:, [j]], table.correct[:, [j]], table.costs[:, [j]]
                )
    return out


def _side_by_side(parts: Sequence[Table]) -> Table:
    return Table(
        np.concatenate([p.scores for p in parts], axis=1),
        np.concatenate([p.correct for p in parts], axis=1),
        np.concatenate([p.costs for p in parts], axis=1),
    )


def frontier(rec: Recording, policy: Policy, objective: Objective) -> str:
    """One report row."""
    cols = columns(rec, policy)
    n = 1 + max(j for j, _ in cols)
    options = [sorted(k for j, k in cols if j == tier) for tier in range(n - 1)]
    best: tuple[float, float, list[str]] | None = None
    top_acc = top_cost = 0.0
    for ks in itertools.product(*options):
        table = _side_by_side([cols[(j, k)] for j, k in enumerate(ks)] + [cols[(n - 1, 1)]])
        top = simulate(table, np.full(table.tiers, NEVER))
        top_acc, top_cost = top.accuracy, top.cost
        choice = choose(table, objective)
        cheaper = choice.outcome.cost < (top.cost if best is None else best[1])
        if choice.feasible and cheaper:
            called = np.isfinite(choice.thresholds[:-1])
            shown = [str(k) if c else "skip" for k, c in zip(ks, called, strict=True)]
            best = (choice.outcome.accuracy, choice.outcome.cost, shown)
    name = f"| {rec.name} | {policy.name} | {n} |"
    if best is None:
        return f"{name} - | only always-top | |"
    acc, cost, shown = best
    samples = ", ".join([*shown, "1"])
    return f"{name} {samples} | {100 * acc / top_acc:.1f}% | {100 * cost / top_cost:.1f}% |"


def main(argv: Sequence[str] | None = None) -> None:
    """Print one row per recording."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="recording files or folders")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--policy", help="a preset name or .toml (default: the task kind's)")
    args = parser.parse_args(argv)
    objective = Objective(args.target)
    print("| recording | policy | tiers | best samples per tier | accuracy | cost |")
    print("| --- | --- | --- | --- | --- | --- |")
    for rec in find_recordings(args.paths):
        policy = load_policy(args.policy or rec.manifest.task_kind)
        print(frontier(rec, policy, objective), flush=True)


if __name__ == "__main__":
    main()
