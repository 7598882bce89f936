"""``python -m benchmarks``: replay recordings against baselines; write results, report and plot."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time
from pathlib import Path

from benchmarks.harness import Evaluation, Settings, evaluate
from benchmarks.judging import RECORDED, CachedProvider, JudgeMode
from benchmarks.live import LIVE_DIR, record_live
from benchmarks.plot import MissingPlotting, plot, require_matplotlib
from benchmarks.policyrun import SWEEP
from benchmarks.record_store import RecordError
from benchmarks.report import RESUME, partial_note, render, summary_table, tuned_table
from benchmarks.summary import clean, summarize
from cascade import CascadeError, LiteLLMProvider, PolicyError, Provider, load_policy
from cascade.recordings import Recording, RecordingError, find_recordings

__all__ = ["HOW_TO_PASS", "OWN_RECORDINGS", "main", "parser"]

#: The project's own recordings, used when no --data is given.
OWN_RECORDINGS = Path(__file__).resolve().parent / "recordings"


def parser() -> argparse.ArgumentParser:
    """The command line of the harness."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Replay recorded model answers through cascade policies and baselines "
        "(python -m benchmarks perf: engine speed).",
    )
    ap.add_argument(
        "--data",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="recording files (either file of a pair) or folders of recordings "
        f"(default: {OWN_RECORDINGS})",
    )
    ap.add_argument(
        "--policy",
        nargs="+",
        action="extend",
        metavar="NAME_OR_PATH",
        help="policies to test: preset names or .toml files "
        "(default: the preset named after each recording's task kind)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=Path("bench-results"),
        metavar="DIR",
        help="where results.json, report.md and cost_quality.png go",
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the bootstrap intervals and of the --limit sample",
    )
    ap.add_argument("--limit", type=int, metavar="N", help="at most N prompts per recording")
    ap.add_argument(
        "--half",
        type=int,
        choices=(0, 1),
        help="only one half of each recording, split by record id (cascade tune --half)",
    )
    ap.add_argument(
        "--judge",
        default=RECORDED,
        metavar="MODE",
        help=f"judge verifiers: {RECORDED} (default) or a litellm model string",
    )
    ap.add_argument(
        "--judge-cache",
        type=Path,
        metavar="DIR",
        help="disk cache of judge-model answers (default: DIR/judge-cache)",
    )
    ap.add_argument(
        "--models",
        metavar="A,B,...",
        help="the ladder, cheapest first, as recorded model names "
        "(default: each manifest's models)",
    )
    ap.add_argument(
        "--sweep",
        type=_thresholds,
        default=SWEEP,
        metavar="T,T,...",
        help="thresholds swept for each policy, the same on every tier (default: 0,0.1,...,1; "
        "0 is always run: it gives the verifiers' ROC-AUC at the cheapest tier)",
    )
    ap.add_argument("--no-plot", action="store_true", help="skip cost_quality.png")
    ap.add_argument(
        "--live",
        metavar="LADDER",
        help="first run this keyless ladder for real (local, or local/ models comma-separated) "
        "on the first --limit tasks of each of the project's suites, then report on its answers; "
        f"they are kept in OUT/{LIVE_DIR}, so a rerun resumes (e.g. --live local --limit 20)",
    )
    return ap


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not all(0.0 <= t <= 1.0 for t in values):
        raise argparse.ArgumentTypeError(f"thresholds must be in [0, 1]: {text!r}")
    return values


def _fail(message: str) -> int:
    print(f"python -m benchmarks: {message}", file=sys.stderr)
    return 2


HOW_TO_PASS = (
    "Pass recordings in the format cascade-recordings/1 with --data, files or folders, e.g.\n"
    "  python -m benchmarks --data ../shared/recordings --out /tmp/bench"
)


def _no_recordings() -> int:
    return _fail(
        f"the project's own recordings do not exist yet (looked in {OWN_RECORDINGS}).\n"
        + HOW_TO_PASS
    )


def _recordings(data: list[str] | None) -> list[Recording]:
    if data:
        return find_recordings(data)
    return find_recordings([OWN_RECORDINGS]) if OWN_RECORDINGS.is_dir() else []


async def _evaluate_all(
    recordings: list[Recording], settings: Settings, judge: Provider | None
) -> list[Evaluation]:
    return [await evaluate(r, settings, judge) for r in recordings]


def _live(args: argparse.Namespace, provider: Provider | None) -> int | None:
    """Record the ``--live`` ladder and point ``--data`` at it; an exit code if that failed."""
    if args.data:
        return _fail(
            "--live and --data do not go together: --live reports on the answers it records "
            f"(in OUT/{LIVE_DIR}); to replay other recordings, leave out --live"
        )
    try:  # a policy that cannot load fails now, not after the models have run
        for ref in args.policy or ():
            load_policy(ref)
    except (OSError, PolicyError) as exc:
        return _fail(str(exc))
    if args.limit is None:
        print(
            "python -m benchmarks: --live without --limit runs every task of every suite "
            "(hours on a small machine); it resumes when run again",
            file=sys.stderr,
        )
    try:
        folder = asyncio.run(record_live(args.live, args.out, args.limit, provider=provider))
    except (RecordError, CascadeError) as exc:  # a local model's errors are CascadeErrors too
        return _fail(str(exc))
    args.data = [str(folder)]
    return None


def main(argv: list[str] | None = None, live_provider: Provider | None = None) -> int:
    """Run the harness; exit code 2 on bad input. ``live_provider`` replaces the local models of
    ``--live`` (tests)."""
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.limit is not None and args.limit < 1:
        return _fail("--limit must be at least 1")
    if not args.no_plot:
        try:
            require_matplotlib()
        except MissingPlotting as exc:
            return _fail(str(exc))
    resume = RESUME
    if args.live:
        failed = _live(args, live_provider)
        if failed is not None:
            return failed
        resume = f"the first --limit tasks of each suite (a larger --limit extends {LIVE_DIR})"
    try:
        recordings = _recordings(args.data)
        for ref in args.policy or ():
            load_policy(ref)
    except (OSError, RecordingError, PolicyError) as exc:
        own = "" if args.data else f" (in the project's own recordings, {OWN_RECORDINGS})"
        return _fail(f"{exc}{own}" + ("" if args.data else "\n" + HOW_TO_PASS))
    if not recordings:
        return _no_recordings() if not args.data else _fail("no recordings found in --data")
    mode = JudgeMode.parse(args.judge)
    settings = Settings(
        policies=tuple(args.policy or ()),
        judge=mode,
        seed=args.seed,
        limit=args.limit,
        half=args.half,
        ladder=tuple(args.models.split(",")) if args.models else None,
        thresholds=args.sweep,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    judge: CachedProvider | None = None
    if mode.model is not None:
        judge = CachedProvider(LiteLLMProvider(), args.judge_cache or args.out / "judge-cache")
    started = time.perf_counter()
    try:
        evaluations = asyncio.run(_evaluate_all(recordings, settings, judge))
    finally:
        if judge is not None:
            judge.close()
    results = clean(summarize(evaluations, args.seed))
    command = shlex.join(["python", "-m", "benchmarks", *argv])
    (args.out / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")
    (args.out / "report.md").write_text(render(results, command, mode.label, args.seed, resume))
    if not args.no_plot:
        plot(results, args.out / "cost_quality.png")
    print("\n".join(summary_table(results) + partial_note(results, resume) + tuned_table(results)))
    took = time.perf_counter() - started
    print(
        f"\nwrote {args.out}/results.json, report.md"
        + ("" if args.no_plot else ", cost_quality.png")
        + f" in {took:.1f} s",
        file=sys.stderr,
    )
    return 0
