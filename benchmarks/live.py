"""``python -m benchmarks --live LADDER``: run a keyless ladder for real, then report on it.

The ladder's models answer the first ``--limit`` tasks of each of the project's suites (HumanEval,
JSON extraction, math word problems; in the recorder's run order, so a few tasks are a fair
sample), every model on every task, as ``python -m benchmarks.record`` does: 5 samples per model
and 3 for the top one, at temperature 0.7, each call through litellm. The answers are written as
recordings (format ``cascade-recordings/1``) into ``OUT/live-recordings``, and every finished
sample is kept in ``OUT/live-cache``, so an interrupted run resumes where it stopped and a larger
``--limit`` extends it. The harness then replays them like any other recordings: every policy and
baseline is scored on real answers of these models on this machine.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from benchmarks.record import DEFAULT_SAMPLES, local_models, local_provider, machine, notes_for
from benchmarks.record_run import record
from benchmarks.record_store import RecordError
from benchmarks.suites import SUITES, get_suite
from cascade.ladders import ladder_models
from cascade.providers import Provider

__all__ = ["LIVE_CACHE", "LIVE_DIR", "TEMPERATURE", "live_ladder", "record_live"]

#: Where, under the harness's ``--out``, a live run keeps its recordings and its sample cache.
LIVE_DIR = "live-recordings"
LIVE_CACHE = "live-cache"
TEMPERATURE = 0.7


def live_ladder(ladder: str) -> list[str]:
    """The models of ``ladder``: a named ladder (``local``) or litellm model strings separated by
    commas, cheapest first. Each must be a model of ``cascade.local``: a live run calls the models
    on this machine, with no key."""
    if "," in ladder or "/" in ladder:
        models = [m.strip() for m in ladder.split(",") if m.strip()]
    else:
        models = ladder_models(ladder)
    hosted = [m for m in models if not m.startswith("local/")]
    if hosted or not models:
        from cascade.local import LADDER

        names = ", ".join(hosted) or "no model"
        verb = "is" if len(hosted) < 2 else "are"
        raise RecordError(
            f"--live runs models on this machine, and {names} {verb} not one of them; use "
            f"--live local (or some of {', '.join(LADDER)}, comma-separated, cheapest first). "
            "Hosted models are benchmarked from their recordings: --data"
        )
    return models


def _samples(count: int) -> list[int]:
    """Samples per model: the recorder's defaults, the top model's count for the last one."""
    return [DEFAULT_SAMPLES[0]] * (count - 1) + [DEFAULT_SAMPLES[-1]]


async def record_live(
    ladder: str,
    out: Path,
    limit: int | None,
    *,
    provider: Provider | None = None,
    suites: Sequence[str] = tuple(SUITES),
    stream: TextIO | None = None,
) -> Path:
    """Record ``ladder`` on the first ``limit`` tasks of each suite into ``out/live-recordings``
    (resuming what is there) and return that folder; ``provider`` replaces the local models
    (tests)."""
    names = live_ladder(ladder)
    models = local_models(names, _samples(len(names)))
    if provider is None:
        provider = await local_provider(models)
    folder = out / LIVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    import diskcache

    cache = diskcache.Cache(str(out / LIVE_CACHE))
    try:
        await record(
            [get_suite(name) for name in suites],
            models,
            provider=provider,
            out_dir=folder,
            cache=cache,
            notes=notes_for(models, TEMPERATURE, machine()),
            limit=limit,
            temperature=TEMPERATURE,
            stream=stream or sys.stderr,
        )
    finally:
        cache.close()
    return folder
