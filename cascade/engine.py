"""`Cascade`: an engine holding a provider, a cache and trace sinks, that runs requests."""

from __future__ import annotations

import asyncio
import functools
import random
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cascade.cache import AnswerCache
from cascade.calls import CallContext
from cascade.ladders import ladder_models
from cascade.loop import cascade
from cascade.policy import Policy, PolicyRef, load_policy
from cascade.providers import LiteLLMProvider, Provider
from cascade.request import (
    Prompt,
    Schema,
    answer_key,
    build_messages,
    json_mode,
    messages_digest,
    normalize_tests,
    prompt_hash,
    prompt_text,
    resolve_schema,
)
from cascade.result import Result
from cascade.settings import cache_location, trace_location, trace_prompts
from cascade.sinks import JsonlSink
from cascade.sync import run_sync
from cascade.trace import Event, Sink, Tracer, flush_sinks, redact
from cascade.verifiers import Task

TraceArg = bool | str | Path | Sink | Sequence[Sink] | None
Progress = bool | Callable[[int, int], None]


class Cascade:
    """An engine: a provider, a cache and trace sinks, shared by the requests it runs.

    ``cache``: True (default location), False, or a directory. ``trace``: True (default
    location), False, a path, a sink (a callable per event) or a list of sinks. ``explore``:
    the share of requests (0 to 1) that also run the tiers above the accepted one, so that the
    traces hold labelled data for `cascade tune` (their extra cost is part of those requests').
    """

    def __init__(
        self,
        *,
        provider: Provider | None = None,
        cache: bool | str | Path = True,
        trace: TraceArg = True,
        trace_prompts: bool | None = None,
        backoff_s: float = 0.5,
        explore: float = 0.0,
    ):
        if not 0.0 <= explore <= 1.0:
            raise ValueError(f"explore is a share of requests in [0, 1], got {explore!r}")
        self.explore = explore
        self.provider: Provider = provider or LiteLLMProvider()
        self.cache = _make_cache(cache)
        self.sinks = _make_sinks(trace)
        self.trace_prompts = trace_prompts if trace_prompts is not None else _env_prompts()
        self.backoff_s = backoff_s

    async def arun(
        self,
        prompt: Prompt,
        policy: PolicyRef = "default",
        *,
        models: Sequence[str] | None = None,
        ladder: str | None = None,
        max_cost_usd: float | None = None,
        schema: Schema | None = None,
        tests: str | Sequence[str] | None = None,
        public: Mapping[str, Any] | None = None,
        cache: bool | None = None,
        trace: TraceArg = None,
    ) -> Result:
        """Answer one request; see `cascade.run`."""
        pol = resolve_policy(policy, models, ladder)
        json_schema, model_class = resolve_schema(schema)
        messages = build_messages(prompt, pol.system)
        text = prompt_text(messages)
        digest = messages_digest(messages)
        sinks = self.sinks if trace is None else _make_sinks(trace)
        tracer = Tracer(
            pol.name,
            prompt_hash(messages, digest),
            sinks,
            prompt=text if self.trace_prompts else None,
            keep_text=self.trace_prompts,
        )
        ctx = CallContext(
            self.provider,
            None if cache is False else self.cache,
            tracer,
            pol,
            self.backoff_s,
            messages,
            json_mode(json_schema, pol.task_kind),
            budget=max_cost_usd if max_cost_usd is not None else pol.max_cost_usd,
            digest=digest,
            explore=self.explore > 0 and random.random() < self.explore,
        )
        task = Task(
            prompt=text,
            messages=messages,
            kind=pol.task_kind,
            public=public or {},
            schema=json_schema,
            model_class=model_class,
            tests=normalize_tests(tests),
        )
        if pol.router is not None:
            try:
                ctx.start = _route(pol, text, tracer, ctx.explore)
            except (OSError, ValueError, KeyError, TypeError) as exc:  # never fails a request
                warnings.warn(
                    f"cascade: pre-router {pol.router.path} unusable ({exc}); starting at tier 0",
                    RuntimeWarning,
                    stacklevel=2,
                )
                tracer.emit("route", tier=0, reason=f"router unusable: {exc}"[:300])
        try:
            return await cascade(ctx, task)
        finally:
            tracer.flush()  # every step of the request is on disk before it returns
            if trace is not None and trace is not True:
                _close(sinks)

    def run(self, prompt: Prompt, policy: PolicyRef = "default", **kw: Any) -> Result:
        """Answer one request synchronously; see `cascade.run`."""
        return run_sync(self.arun(prompt, policy, **kw))

    async def arun_many(
        self,
        prompts: Sequence[Prompt],
        policy: PolicyRef = "default",
        *,
        concurrency: int = 16,
        return_exceptions: bool = False,
        progress: Progress = False,
        **kw: Any,
    ) -> list[Result | BaseException]:
        """Answer many requests concurrently; results come back in input order."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        sem = asyncio.Semaphore(concurrency)
        report = _progress(progress)
        done = 0

        async def one(p: Prompt) -> Result:
            nonlocal done
            async with sem:
                try:
                    return await self.arun(p, policy, **kw)
                finally:
                    done += 1
                    report(done, len(prompts))

        jobs = (one(p) for p in prompts)
        return list(await asyncio.gather(*jobs, return_exceptions=return_exceptions))

    def run_many(
        self, prompts: Sequence[Prompt], policy: PolicyRef = "default", **kw: Any
    ) -> list[Result | BaseException]:
        """Answer many requests synchronously; see `cascade.run_many`."""
        return run_sync(self.arun_many(prompts, policy, **kw))

    def feedback(self, result: Result, correct: bool, reason: str | None = None) -> None:
        """Record the caller's word on ``result``'s answer (a ``feedback`` event in the trace):
        `cascade tune` takes it as the label of that answer, over the top tier's proxy."""
        head = result.trace[0] if result.trace else None
        event = Event(
            result.run_id,
            len(result.trace),
            "feedback",
            time.time(),
            result.policy,
            head.prompt_hash if head else "",
            tier=result.tier,
            model=result.model,
            passed=bool(correct),
            reason=None if reason is None else redact(reason),
            answer=answer_key(result.text, result.parsed),
        )
        for sink in self.sinks:
            sink(event)
        flush_sinks(self.sinks)

    def close(self) -> None:
        """Close the cache and the trace files."""
        if self.cache is not None:
            self.cache.close()
        _close(self.sinks)

    def __enter__(self) -> Cascade:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_policy(policy: PolicyRef, models: Sequence[str] | None, ladder: str | None) -> Policy:
    """The policy to run: loaded, then moved to other models or a named ladder if asked."""
    pol = load_policy(policy)
    if models is not None and ladder is not None:
        raise ValueError("give either models= or ladder=, not both")
    if ladder is not None:
        models = ladder_models(ladder)
    return pol.with_models(models) if models is not None else pol


def _route(pol: Policy, text: str, tracer: Tracer, explore: bool) -> int:
    """The tier a request starts at under the policy's pre-router (traced as ``route``)."""
    ref = pol.router
    assert ref is not None
    path = Path(ref.path)
    p = float(_router(str(path), path.stat().st_mtime_ns).predict_proba([text])[0])
    routed = p >= ref.tau and not explore and not all(t.skip for t in pol.tiers[ref.start_tier :])
    start = ref.start_tier if routed else 0
    tracer.emit(
        "route",
        tier=start,
        score=p,
        reason=f"p(cheapest tier fails) {p:.3f} {'>=' if p >= ref.tau else '<'} tau {ref.tau:.3f}",
    )
    return start


@functools.lru_cache(maxsize=16)
def _router(path: str, mtime_ns: int) -> Any:
    from cascade.tuning.router import Router

    return Router.load(path)


def _make_cache(cache: bool | str | Path) -> AnswerCache | None:
    if cache is False:
        return None
    where = cache_location() if cache is True else Path(cache)
    return None if where is None else AnswerCache(where)


def _make_sinks(trace: TraceArg) -> tuple[Sink, ...]:
    if trace is None or trace is True:
        where = trace_location()
        return () if where is None else (JsonlSink(where),)
    if trace is False:
        return ()
    if isinstance(trace, (str, Path)):
        return (JsonlSink(trace),)
    if callable(trace):
        return (trace,)
    return tuple(trace)


def _close(sinks: Sequence[Sink]) -> None:
    for s in sinks:
        if isinstance(s, JsonlSink):
            s.close()


def _env_prompts() -> bool:
    return trace_prompts()


def _progress(progress: Progress) -> Callable[[int, int], None]:
    if callable(progress):
        return progress
    if not progress:
        return lambda done, total: None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rcascade: {done}/{total} requests", end=end, file=sys.stderr, flush=True)

    return show
