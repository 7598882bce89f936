"""The ``cascade`` command: ``cascade run "prompt" --policy code`` and ``cascade policies``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from cascade.errors import CascadeError, PolicyError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cascade", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="answer one prompt through a policy's ladder")
    r.add_argument("prompt", help="the request text ('-' reads it from stdin)")
    r.add_argument("--policy", default="default", help="preset name or .toml path")
    r.add_argument("--models", help="comma-separated litellm model strings, cheapest first")
    r.add_argument("--ladder", help="a named ladder (see `cascade policies`)")
    r.add_argument("--max-cost", type=float, dest="max_cost_usd", help="budget in USD")
    r.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    r.add_argument("--trace", help="trace file or directory, or 'off'")
    r.add_argument("--json", action="store_true", help="print the whole result as JSON")
    sub.add_parser("policies", help="list the policy presets and the named ladders")
    t = sub.add_parser("tune", help="learn a policy's thresholds from recordings or traces")
    t.add_argument(
        "--data", nargs="+", required=True, help="recording or trace files, or folders of them"
    )
    t.add_argument(
        "--policy",
        help="preset name or .toml path (default: the policy the traces name, or the "
        "recording's kind)",
    )
    t.add_argument(
        "--target-quality",
        type=float,
        default=0.99,
        help="accuracy to keep, as a share of always-top's (default 0.99)",
    )
    t.add_argument(
        "--max-cost-pct",
        type=float,
        help="instead: best accuracy at most this %% of always-top's cost",
    )
    t.add_argument(
        "--half",
        type=int,
        choices=(0, 1),
        help="tune on one half of the data (recordings split by record id, traces by run id)",
    )
    t.add_argument("--out", default="tuned.toml", help="where to write the tuned policy")
    t.add_argument("--no-router", action="store_true", help="do not tune the learned pre-router")
    t.add_argument("--seed", type=int, default=0)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cascade`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "policies":
        return _policies()
    if args.command == "tune":
        return _tune(args)
    return _run(args)


def _tune(args: argparse.Namespace) -> int:
    from cascade.tuning.tune import tune

    try:
        report = tune(
            args.data,
            args.policy,
            target_quality=args.target_quality,
            max_cost_pct=args.max_cost_pct,
            out=args.out,
            seed=args.seed,
            half=args.half,
            progress=True,
            router=not args.no_router,
        )
    except (PolicyError, ValueError, FileNotFoundError) as exc:
        print(f"\ncascade tune: {exc}", file=sys.stderr)
        return 2
    print(f"\n{report.summary()}")
    return 0


def _policies() -> int:
    from cascade import ladders, load_policy, preset_names

    for name in preset_names():
        pol = load_policy(name)
        print(f"{name:10} {' -> '.join(t.model for t in pol.tiers)}\n{'':10} {pol.description}")
    for name, models in ladders().items():
        print(f"ladder {name}: {' -> '.join(models)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    import cascade

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    trace = None
    if args.trace is not None:
        trace = False if args.trace.lower() in ("off", "none", "0") else args.trace
    try:
        r = cascade.run(
            prompt,
            args.policy,
            models=models,
            ladder=args.ladder,
            max_cost_usd=args.max_cost_usd,
            cache=False if args.no_cache else None,
            trace=trace,
        )
    except PolicyError as exc:
        print(f"cascade: policy error: {exc}", file=sys.stderr)
        return 2
    except (CascadeError, ValueError) as exc:
        print(f"cascade: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(r.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(r.text)
    status = "accepted" if r.accepted else f"not accepted ({r.reason})"
    print(
        f"-- {r.model} (tier {r.tier}), {status}, score {r.score:.2f}, "
        f"cost ${r.cost_usd:.6f}, {r.calls} call(s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
