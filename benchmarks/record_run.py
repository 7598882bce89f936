"""Run models on suite tasks and record every sample: cached, resumable, with progress.

Tasks run in a fixed pseudo-random order (by the sha256 of their id), interleaved across
suites, so that a recording cut short holds a fair sample of every suite; each task runs every
model before the next task starts, so that each record written is complete. Every finished
sample is also kept in a cache (any object with ``get`` and ``set``, a ``diskcache.Cache`` in
practice), so that an interrupted task loses no model call.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from benchmarks.record_progress import Progress
from benchmarks.record_store import ModelSpec, RecordError, Store
from benchmarks.suites import Suite, Task
from cascade import CallRequest
from cascade.providers import Provider

__all__ = ["SampleCache", "record", "run_order", "settings"]

CACHE_VERSION = "cascade-recorder/1"


class SampleCache(Protocol):
    """Where finished samples are kept between runs (``diskcache.Cache`` fits)."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Job:
    """One task of one suite, and the store its record goes to."""

    suite: Suite
    task: Task
    store: Store


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_Identified)


def run_order(tasks: Sequence[_T]) -> list[_T]:
    """The order tasks (or their records) are run in: by the sha256 of their id (stable,
    unbiased by template)."""
    return sorted(tasks, key=lambda task: hashlib.sha256(task.id.encode("utf-8")).hexdigest())


def settings(suite: Suite, models: Sequence[ModelSpec], temperature: float) -> dict[str, Any]:
    """What a recording was made with; a resumed run must match it."""
    return {
        "models": [{"name": m.name, "samples": m.samples} for m in models],
        "temperature": temperature,
        "max_tokens": suite.max_tokens,
        "seed": "sample i is drawn with seed i",
        "messages": "the prompt as one user message, no system message",
    }


def _lock(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RecordError(f"another recorder is writing to {directory}") from None
    return fd


def _interleave(queues: Sequence[Sequence[Job]]) -> Iterator[Job]:
    for row in zip_longest(*queues):
        yield from (job for job in row if job is not None)


def cache_key(suite: Suite, task: Task, model: str, index: int, temperature: float) -> str:
    """The cache key of one sample: everything that changes the model's answer."""
    given = [
        CACHE_VERSION,
        suite.name,
        task.id,
        task.prompt,
        model,
        index,
        index,
        temperature,
        suite.max_tokens,
    ]
    return hashlib.sha256(json.dumps(given).encode("utf-8")).hexdigest()


class Recorder:
    """Draws, grades and stores the samples of one task after another."""

    def __init__(
        self,
        provider: Provider,
        models: Sequence[ModelSpec],
        temperature: float,
        timeout_s: float,
        cache: SampleCache | None,
    ) -> None:
        self.provider, self.models = provider, tuple(models)
        self.temperature, self.timeout_s, self.cache = temperature, timeout_s, cache

    async def call(
        self, suite: Suite, task: Task, model: ModelSpec, index: int
    ) -> tuple[dict[str, Any], bool]:
        """One raw sample (text, tokens, latency), from the cache when there; whether it ran."""
        key = cache_key(suite, task, model.name, index, self.temperature)
        hit = None if self.cache is None else self.cache.get(key)
        if hit is not None:
            return dict(hit), False
        request = CallRequest(
            model=model.name,
            messages=({"role": "user", "content": task.prompt},),
            max_tokens=suite.max_tokens,
            temperature=self.temperature,
            timeout_s=self.timeout_s,
            sample=index,
            extra={"seed": index},
        )
        start = time.perf_counter()
        done = await self.provider.complete(request)
        raw = {
            "text": done.text,
            "tokens_in": done.tokens_in,
            "tokens_out": done.tokens_out,
            "cost_usd": done.cost_usd,
            "latency_s": round(time.perf_counter() - start, 3),
        }
        if self.cache is not None:
            self.cache.set(key, raw)
        return raw, True

    async def sample(
        self, suite: Suite, task: Task, model: ModelSpec, index: int
    ) -> tuple[dict[str, Any], bool]:
        """One sample as recorded: graded, priced at the declared prices."""
        raw, ran = await self.call(suite, task, model, index)
        graded = await asyncio.to_thread(suite.grade, task, raw["text"])
        known = raw["tokens_in"] is not None or raw["tokens_out"] is not None
        cost = model.cost(raw["tokens_in"], raw["tokens_out"]) if known else raw["cost_usd"]
        return {
            "text": raw["text"],
            "answer": graded.answer,
            "correct": graded.correct,
            "tokens_in": raw["tokens_in"],
            "tokens_out": raw["tokens_out"],
            "cost_usd": float(cost or 0.0),
            "latency_s": raw["latency_s"],
            "confidence": None,
        }, ran

    async def task(self, suite: Suite, task: Task) -> tuple[dict[str, Any], bool]:
        """The task's complete record, and whether any model call ran for it."""
        samples: dict[str, list[dict[str, Any]]] = {}
        ran_any = False
        for model in self.models:  # a model's samples at once, as the engine asks for a tier's
            drawn = [self.sample(suite, task, model, i) for i in range(model.samples)]
            done = await asyncio.gather(*drawn)
            samples[model.name] = [sample for sample, _ in done]
            ran_any = ran_any or any(ran for _, ran in done)
        return {**task.as_json(), "samples": samples}, ran_any


async def record(
    suites: Sequence[Suite],
    models: Sequence[ModelSpec],
    *,
    provider: Provider,
    out_dir: Path,
    notes: Callable[[Suite], str],
    cache: SampleCache | None = None,
    limit: int | None = None,
    temperature: float = 0.7,
    timeout_s: float = 900.0,
    stream: TextIO | None = None,
    finalize_only: bool = False,
    regrade: bool = False,
) -> list[Path]:
    """Record ``models`` on every task of ``suites`` (the first ``limit`` of each, if given).

    Resumes from what ``out_dir`` already holds; finalizes (sorts and checks) each recording
    once complete, or every one when ``finalize_only`` (which runs no model). ``regrade`` first
    grades every recorded sample again with the suite's grader as it is now, and takes the
    tasks' references as they are now (a grader or a reference fixed: no model runs again; the
    tasks' prompts must not have changed). Returns the manifests' paths.
    """
    lock = _lock(out_dir)
    try:
        recorder = Recorder(provider, models, temperature, timeout_s, cache)
        stores, queues, totals, done = [], [], {}, {}
        for suite in suites:
            tasks = suite.tasks()
            store = Store(
                out_dir, suite, tasks, models, settings(suite, models, temperature), notes(suite)
            )
            recorded = store.open()
            planned = run_order(tasks)[:limit]
            stores.append(store)
            queues.append([Job(suite, t, store) for t in planned if t.id not in recorded])
            totals[suite.name] = len(planned)
            done[suite.name] = len(planned) - len(queues[-1])
        progress = Progress(totals, done, stream or sys.stderr)
        if regrade:
            for suite, store in zip(suites, stores, strict=True):
                by_id = {task.id: task for task in suite.tasks()}
                changed = await asyncio.to_thread(store.regrade, by_id, suite.grade)
                progress.say(
                    f"regraded {store.name}: {changed.samples} samples of "
                    f"{len(store.done)} records; {changed.now_right} now right, "
                    f"{changed.now_wrong} now wrong"
                )
        if not finalize_only:
            progress.say(f"{sum(done.values())} of {sum(totals.values())} tasks already recorded")
            for job in _interleave(queues):
                start = time.perf_counter()
                line, ran = await recorder.task(job.suite, job.task)
                job.store.append(line)
                progress.task_done(job.suite.name, job.task.id, time.perf_counter() - start, ran)
        for store in stores:
            if store.complete or finalize_only:
                store.finalize()
        return [store.manifest_path for store in stores]
    finally:
        os.close(lock)
