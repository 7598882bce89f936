"""Does the learned pre-router pay on the dev recordings? Held-out cost and accuracy, with and
without it.

Tier scores come from a label-free stand-in for a vote: the share of a model's first ``samples``
recorded answers that agree with their most common answer (whitespace and case ignored; for code,
the answer text itself). A tier's answer is that most common answer, its cost the samples'
summed cost. Single-sample recordings thus give every answered prompt the score 1.

    python -m benchmarks.router_check [--target 0.99] [--folds 5] [--ends] [PATHS...]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np

from cascade.recordings import Record, Recording, Sample, find_recordings
from cascade.tuning.router import tune_router
from cascade.tuning.search import Objective, bags_for
from cascade.tuning.simulate import Table

DEFAULT = "/work/shared/recordings"


def _key(sample: Sample, code: bool) -> str | None:
    if sample.answer is not None:
        return " ".join(sample.answer.split()).lower()
    return sample.text.strip() if code else None


def tier(samples: Sequence[Sample], code: bool) -> tuple[float, bool, float]:
    """Agreement score, correctness of the most common answer, and the samples' cost."""
    keys = [_key(s, code) for s in samples]
    counts = Counter(k for k in keys if k is not None)
    cost = float(sum(s.cost_usd for s in samples))
    if not counts:
        return 0.0, samples[0].correct, cost
    top, votes = counts.most_common(1)[0]
    return votes / len(samples), samples[keys.index(top)].correct, cost


def table_of(
    recording: Recording, records: Sequence[Record], samples: int, ends: bool = False
) -> Table:
    """The stand-in table: per record and model, agreement score, label and cost; with ``ends``
    only the cheapest and the top model."""
    code = recording.manifest.task_kind == "code"
    models = recording.manifest.model_names
    ladder = (models[0], models[-1]) if ends else models
    rows = [[tier(r.samples[m][:samples], code) for m in ladder] for r in records]
    arr = np.array(rows, dtype=np.float64)
    return Table(arr[:, :, 0], arr[:, :, 1].astype(bool), arr[:, :, 2])


def main(argv: Sequence[str] | None = None) -> None:
    """Print one row per recording."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", default=[DEFAULT])
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--buckets", type=int, default=0)
    parser.add_argument("--ends", action="store_true", help="only the cheapest and top model")
    args = parser.parse_args(argv)
    print(
        "| recording | n | tiers | cheap fails | always-top acc / cost | thresholds alone "
        "acc / cost | router acc / cost | routed | cost change 95% CI | floor | tau | on | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rec in find_recordings(args.paths):
        records = rec.load()
        table = table_of(rec, records, args.samples, args.ends)
        started = time.perf_counter()
        rc = tune_router(
            [r.prompt for r in records], table, Objective(args.target), args.folds, args.seed,
            buckets=args.buckets, bags=bags_for(table.prompts),
        )  # fmt: skip
        b, r = rc.baseline, rc.routed
        lo, hi = (100 * x / b.cost for x in rc.saving_ci)
        print(
            f"| {rec.name} | {table.prompts} | {table.tiers} | {np.mean(~table.correct[:, 0]):.2f} "
            f"| {b.top_accuracy:.3f} / {b.top_cost:.2e} | {b.accuracy:.3f} / {b.cost:.2e} "
            f"| {r.accuracy:.3f} / {r.cost:.2e} | {rc.routed_share:.2f} "
            f"| {lo:+.0f}% .. {hi:+.0f}% | {rc.quality_floor:.3f} | {rc.tau:.2f} "
            f"| {'yes' if rc.enabled else 'no'} "
            f"| {time.perf_counter() - started:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
