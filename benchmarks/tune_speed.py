"""How long `cascade tune` takes on a trace of real use (target: 100,000 events in 10 s).

    python -m benchmarks.tune_speed [--events 100000] [--keep PATH]

Writes a trace by running the engine for real (every request explored, every tier run, a
feedback event on a third of them) with models served at the provider seam: prompt ``q N`` is
answered right by the cheapest model when N % 10 < 6, by the middle one when < 9, by the top one
always. Then times `cascade.tune` (reading the events, building the table, choosing thresholds,
5-fold cross-validation with bootstrap intervals) on that file.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import cascade
from cascade import CallRequest, Cascade, Completion, FunctionProvider, Policy, Tier

LADDER = ("m/cheap", "m/mid", "m/top")
PRICES = {"m/cheap": (1e-6, 2e-6), "m/mid": (1e-5, 2e-5), "m/top": (1e-4, 2e-4)}


def _policy() -> Policy:
    return Policy(
        name="tune-speed",
        tiers=tuple(Tier(model=m, max_tokens=16) for m in LADDER),
        verifiers=({"kind": "non_empty"},),
    )


def write_trace(path: Path, events: int, seed: int = 0, prompts: bool = False) -> int:
    """Run explored requests until ``path`` holds at least ``events`` events; return the count.
    With ``prompts`` the trace keeps prompt texts (so that the pre-router is tuned too)."""
    rng = random.Random(seed)

    def handler(req: CallRequest) -> Completion:
        d = int(str(req.messages[-1]["content"]).split()[-1]) % 10
        right = {"m/cheap": d < 6, "m/mid": d < 9, "m/top": True}[req.model]
        wrong = "" if rng.random() < 0.9 else "41"  # an empty answer fails non_empty
        return Completion("42" if right else wrong, 10, 2)

    eng = Cascade(
        provider=FunctionProvider(handler, prices=PRICES),
        cache=False,
        trace=path,
        explore=1.0,
        trace_prompts=prompts,
    )
    pol, written, i = _policy(), 0, 0
    while written < events:
        r = eng.run(f"q {i}", pol)
        written += len(r.trace)
        if i % 3 == 0:
            eng.feedback(r, r.text == "42")
            written += 1
        i += 1
    eng.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the trace, time the tuning, print both."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.tune_speed")
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="write the trace here instead of a temp dir")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for prompts in (False, True):
            path = args.keep or Path(tmp) / "trace.jsonl"
            path.unlink(missing_ok=True)
            t0 = time.perf_counter()
            n = write_trace(path, args.events, prompts=prompts)
            made = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = cascade.tune([path], _policy(), out=Path(tmp) / "tuned.toml")
            took = time.perf_counter() - t0
            what = "prompt texts kept: thresholds and pre-router" if prompts else "thresholds"
            print(
                f"{what}: {n} events ({report.prompts} complete explored requests, written in "
                f"{made:.1f} s); cascade tune {took:.2f} s (target <= 10 s for 100,000 events)"
            )
            print("  " + report.summary().replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
