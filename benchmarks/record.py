"""Record the local ladder's answers to the project's suites (format ``cascade-recordings/1``).

    python -m benchmarks.record --suite humaneval|json|math|all [--models ...]
        [--samples 5,5,3] [--limit N] [--out benchmarks/recordings] [--finalize] [--regrade]

Runs the local models (cheapest first) for real on every task: 5 samples each for the two
cheaper models and 3 for the top one by default, at temperature 0.7 with seed i for sample i.
Writes ``local-<suite>.manifest.json`` and ``local-<suite>.jsonl`` into ``--out``, one complete
record at a time, so that an interrupted run resumes where it stopped (see `record_run` and
`record_store`); progress and an ETA go to stderr. ``--regrade`` grades what is recorded again
(after a grader or a reference is fixed) without running any model for it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.record_run import record
from benchmarks.record_store import ModelSpec, RecordError
from benchmarks.suites import SUITES, Suite, get_suite
from cascade import CallRequest
from cascade.providers import Provider

__all__ = [
    "DEFAULT_OUT",
    "DEFAULT_SAMPLES",
    "MACHINES",
    "local_models",
    "local_provider",
    "machine",
    "main",
    "notes_for",
    "warm_up",
]

DEFAULT_OUT = Path(__file__).resolve().parent / "recordings"
DEFAULT_SAMPLES = (5, 5, 3)
TIERS = ("Claude Haiku", "Claude Sonnet", "Claude Opus")


def default_cache_dir() -> Path:
    """Where finished samples are cached: ``$XDG_CACHE_HOME/cascade/recorder``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cascade" / "recorder"


def local_models(names: Sequence[str] | None, samples: Sequence[int]) -> list[ModelSpec]:
    """The local models to record (all of them by default), with their declared prices."""
    from cascade.local import LADDER, MODELS

    chosen = (
        [n.removeprefix("local/") for n in names]
        if names
        else [m.removeprefix("local/") for m in LADDER]
    )
    unknown = [n for n in chosen if n not in MODELS]
    if unknown:
        raise RecordError(f"unknown local model(s) {unknown}; choose from {', '.join(MODELS)}")
    counts = list(samples) if len(samples) != 1 else list(samples) * len(chosen)
    if len(counts) != len(chosen) or min(counts) < 1:
        raise RecordError(f"--samples needs one positive count per model ({len(chosen)})")
    return [
        ModelSpec(
            name=f"local/{name}",
            samples=count,
            input_cost_per_token=MODELS[name].input_cost_per_token,
            output_cost_per_token=MODELS[name].output_cost_per_token,
            price_note=_price_note(list(MODELS).index(name)),
        )
        for name, count in zip(chosen, counts, strict=True)
    ]


def _price_note(tier: int) -> str:
    ratio = TIERS[tier] if tier < len(TIERS) else "the top tier"
    return (
        "nominal price declared in cascade.local (nobody is billed: the model runs on this "
        "CPU); the local models are priced per token in the ratios of Claude Haiku, Sonnet and "
        f"Opus in litellm's cost map, this one at {ratio}'s, so that tiers compare as hosted"
    )


def machine() -> str:
    """This machine for the notes: cores, CPU, llama-cpp-python version, threads and the weight
    buffers cascade.local uses here."""
    from cascade.local.host import cpuinfo, cpus, extra_buffers, threads

    cpu = cpuinfo("model name") or platform.processor() or platform.machine()
    try:
        llama = f"llama-cpp-python {metadata.version('llama_cpp_python')}"
    except metadata.PackageNotFoundError:
        llama = "llama-cpp-python (not installed)"
    buffers = "llama.cpp's repacked CPU weight buffers" if extra_buffers() else "plain buffers"
    return f"{cpus()} CPU cores ({cpu}), {llama}, {threads()} threads per model, {buffers}"


#: How many tasks, first in run order (`run_order`: ascending sha256 of the task id), had their
#: samples drawn one call after another, before cascade.local decoded the samples of one request
#: together. Run order, not file order: a complete recording is rewritten in the suite's order.
DRAWN_ONE_BY_ONE = {"humaneval": 47, "json": 46, "math": 42}


#: Where the project's recordings ran: one entry per kind of machine, in run order, with the
#: number of tasks of each suite (first in run order) recorded by the end of its turn. All of them
#: were virtual machines with 2 cores, 2 threads per model and llama-cpp-python 0.3.36.
MACHINES: tuple[tuple[dict[str, int], str], ...] = (
    (
        {"humaneval": 123, "json": 121, "math": 116},
        "Intel Xeon, weights in llama.cpp's repacked CPU buffers",
    ),
    (
        {"humaneval": 161, "json": 158, "math": 153},
        "Intel Xeon whose CPU reports AMX, weights in plain buffers (cascade.local leaves "
        "llama.cpp's AMX kernels out there)",
    ),
    (
        {"humaneval": 164, "json": 160, "math": 160},
        "AMD EPYC, weights in repacked buffers",
    ),
)


def _where(suite: str, here: str) -> str:
    """Where a suite's samples ran, for the notes: the project's machines in turn, then ``here``
    (the machine this run is on) for any task past them."""
    parts: list[str] = []
    done = 0
    for counts, what in MACHINES:
        upto = counts.get(suite, 0)
        if upto > done:
            parts.append(f"tasks {done + 1}-{upto} in run order on {what}")
            done = upto
    if not parts:
        return here
    return (
        "2-core virtual machines with 2 threads per model and llama-cpp-python 0.3.36: "
        f"{'; '.join(parts)}; any later task on {here}. Only the kernels' rounding differs "
        "between buffer layouts, not the sampling"
    )


def _drawing(suite: str, project: bool) -> str:
    """How the samples of a task were drawn, for the notes."""
    together = (
        "a model's samples of one task are sent at once and cascade.local decodes them in one "
        "batch after a single evaluation of the prompt, so each latency_s is the time until "
        "that sample's answer, about the batch's time; each sample keeps its own seed"
    )
    first = DRAWN_ONE_BY_ONE.get(suite, 0) if project else 0
    if not first:
        return f"Sampling: {together}."
    return (
        f"Sampling: in the first {first} tasks in the order they were run (ascending sha256 of "
        "the task id) a task's samples ran back to back (llama.cpp reused the evaluated prompt, "
        f"so later samples mostly paid generation only); in the later ones {together} (task "
        f"{first + 1} in that order keeps the samples it had already drawn)."
    )


def notes_for(
    models: Sequence[ModelSpec], temperature: float, where: str, *, project: bool = False
) -> Callable[[Suite], str]:
    """The manifest notes of each suite's recording, made on ``where`` (`machine`); ``project``
    adds the history of the project's own recordings (`DRAWN_ONE_BY_ONE`, `MACHINES`)."""
    ladder = ", ".join(f"{m.name} x{m.samples}" for m in models)

    def notes(suite: Suite) -> str:
        return (
            f"The project's own recording of the keyless local ladder on the {suite.name} suite "
            f"({suite.source}), made with python -m benchmarks.record. prompt = one user "
            f"message, no system message. Samples per task, cheapest first: {ladder}; "
            f"temperature {temperature:g}, sample i drawn with seed i, max_tokens "
            f"{suite.max_tokens}; models served by cascade.local (Q4 GGUF files through "
            "llama-cpp-python, chat template from the file). Correctness: "
            f"{suite.grading_note}. tokens_in/tokens_out = llama.cpp's own counts (the prompt "
            "count includes the chat template); cost_usd = tokens x the manifest's nominal "
            "prices; latency_s = wall time of the call with the model already loaded, on "
            f"{_where(suite.name, where) if project else where}. "
            f"{_drawing(suite.name, project)} Other processes may have "
            "shared the cores. confidence: none. split 'all' = the whole suite (a dev/test "
            "split can be taken by sha256(id) as in shared/recordings). While a recording is "
            "incomplete its manifest says partial: true and records holds the complete ones."
        )

    return notes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.record", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument("--models", nargs="+", help="local model names, cheapest first")
    parser.add_argument(
        "--samples",
        default=",".join(map(str, DEFAULT_SAMPLES)),
        help="samples per task for each model, e.g. 5,5,3",
    )
    parser.add_argument("--limit", type=int, help="only the first N tasks (in run order)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per call")
    parser.add_argument(
        "--finalize", action="store_true", help="sort and check what is recorded; run no model"
    )
    parser.add_argument(
        "--regrade",
        action="store_true",
        help="grade every recorded sample again with the current grader and references; with "
        "--finalize no model runs, else recording goes on after it",
    )
    return parser


async def warm_up(provider: Provider, models: Sequence[ModelSpec]) -> None:
    """Load every model before any call is timed, and its batch context too: two one-token
    samples of one request, sent at once as the recorder sends a task's samples."""
    for model in models:
        print(f"record: loading {model.name} ...", file=sys.stderr, flush=True)
        hello = ({"role": "user", "content": "Hello"},)
        await asyncio.gather(
            *(
                provider.complete(
                    CallRequest(model.name, hello, max_tokens=1, temperature=0.0, sample=i)
                )
                for i in range(min(2, model.samples))
            )
        )


async def local_provider(models: Sequence[ModelSpec], *, warm: bool = True) -> Provider:
    """The local models, served through litellm by cascade.local's custom provider; ``warm``
    loads them first (`warm_up`)."""
    import cascade.local
    from cascade import LiteLLMProvider

    cascade.local.register()
    provider = LiteLLMProvider()
    if warm:
        await warm_up(provider, models)
    return provider


async def _run(args: argparse.Namespace, provider: Provider | None) -> list[Path]:
    names = list(SUITES) if args.suite == "all" else [args.suite]
    suites = [get_suite(name) for name in names]
    models = local_models(args.models, [int(s) for s in str(args.samples).split(",")])
    if provider is None:
        provider = await local_provider(models, warm=not args.finalize)
    cache: Any = None
    if not args.no_cache:
        import diskcache

        cache = diskcache.Cache(str(args.cache_dir or default_cache_dir()))
    try:
        return await record(
            suites,
            models,
            provider=provider,
            out_dir=args.out,
            cache=cache,
            notes=notes_for(
                models, args.temperature, machine(), project=args.out.resolve() == DEFAULT_OUT
            ),
            limit=args.limit,
            temperature=args.temperature,
            timeout_s=args.timeout,
            finalize_only=args.finalize,
            regrade=args.regrade,
        )
    finally:
        if cache is not None:
            cache.close()


def main(argv: Sequence[str] | None = None, provider: Provider | None = None) -> int:
    """Parse the command line and record; ``provider`` replaces the local models (tests)."""
    args = _parser().parse_args(argv)
    try:
        paths = asyncio.run(_run(args, provider))
    except (RecordError, RuntimeError) as exc:
        print(f"record: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
