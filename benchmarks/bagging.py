"""Does bagging the threshold search hold the quality target better on unseen prompts?

    python -m benchmarks.bagging [--reps 40] [--recordings PATH ...]

`cascade tune` picks thresholds with `choose_bagged`: the median, per tier, of `choose` run on
bootstrap resamples. This compares it with one plain `choose`, both at a 0.99 quality target, on
prompts the search never saw:

* synthetic: a three-tier cascade (costs 1, 2, 20) whose tiers answer a prompt of latent
  difficulty d right with probability sigmoid(a_k - 4 d), a_k = 1, 2, 3; a tier's score is the
  share of 5 samples agreeing with its answer (the other 4 samples agree with a right answer
  with that probability p each, with a wrong one with (1 - p) / 2). Tuned on n prompts, scored
  on 50,000 fresh ones, ``--reps`` times per n;
* recordings (optional): each recording's task-kind preset, tuned on one half and scored on the
  other (`cascade.recordings.halve`), both ways.

Reported: the share of runs whose held-out accuracy reaches 99% of always-top's, and the mean
held-out accuracy and cost as % of always-top.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cascade.policy import load_policy
from cascade.recordings import find_recordings, halve
from cascade.tuning.data import from_recording
from cascade.tuning.search import NEVER, Objective, bags_for, choose, choose_bagged
from cascade.tuning.simulate import Floats, Table, simulate

TARGET = Objective(0.99)
Method = Callable[[Table], Floats]
METHODS: dict[str, Method] = {
    "plain": lambda t: choose(t, TARGET).thresholds,
    "bagged": lambda t: choose_bagged(t, TARGET, bags_for(t.prompts)).thresholds,
}


def synthetic(n: int, rng: np.random.Generator, k: int = 5) -> Table:
    """``n`` prompts of the synthetic cascade described in the module docstring."""
    d = rng.random(n)
    p = 1 / (1 + np.exp(-(np.array([1.0, 2.0, 3.0])[None, :] - 4 * d[:, None])))
    right = rng.random((n, 3)) < p
    agree = np.where(right, rng.binomial(k - 1, p), rng.binomial(k - 1, (1 - p) / 2)) + 1
    return Table(agree / k, right, np.tile([1.0, 2.0, 20.0], (n, 1)))


def held_out(train: Table, test: Table, method: Method) -> tuple[float, float]:
    """Accuracy and cost on ``test`` as shares of always-top's, thresholds tuned on ``train``."""
    top = simulate(test, np.full(test.tiers, NEVER))
    out = simulate(test, method(train))
    return out.accuracy / top.accuracy, out.cost / top.cost


def line(label: str, runs: Sequence[tuple[float, float]]) -> str:
    v = np.array(runs)
    return (
        f"| {label} | {np.mean(v[:, 0] >= 0.99 - 1e-12):.2f} | {100 * v[:, 0].mean():.1f}% | "
        f"{100 * v[:, 1].mean():.1f}% |"
    )


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=40, help="synthetic runs per size")
    ap.add_argument("--sizes", default="40,100,300", help="synthetic tuning sizes")
    ap.add_argument("--recordings", nargs="*", default=[], help="recording files or folders")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(1)
    test = synthetic(50_000, rng)
    print("| data | method | held-out accuracy >= 99% of top | accuracy | cost |")
    print("| --- | --- | --- | --- | --- |")
    for n in (int(s) for s in args.sizes.split(",")):
        runs: dict[str, list[tuple[float, float]]] = {m: [] for m in METHODS}
        for _ in range(args.reps):
            train = synthetic(n, rng)
            for name, method in METHODS.items():
                runs[name].append(held_out(train, test, method))
        for name in METHODS:
            print(line(f"synthetic, n={n} | {name}", runs[name]))
    for rec in find_recordings([Path(p) for p in args.recordings]):
        policy = load_policy(rec.manifest.task_kind)
        halves = [
            from_recording(rec, policy, records=halve(rec.records(), h)).table for h in (0, 1)
        ]
        for name, method in METHODS.items():
            pair = [held_out(halves[h], halves[1 - h], method) for h in (0, 1)]
            detail = ", ".join(f"{100 * a:.0f}% at {100 * c:.0f}%" for a, c in pair)
            print(line(f"{rec.name} ({detail}) | {name}", pair))


if __name__ == "__main__":
    main()
