"""The cascade loop: cheapest tier first, verify, accept or escalate."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cascade.cache import AnswerCache
from cascade.calls import CallContext, sample_tier
from cascade.errors import BudgetExceeded, CascadeExhausted, ProviderError
from cascade.ladders import ladder_models
from cascade.policy import Policy, PolicyRef, load_policy
from cascade.providers import LiteLLMProvider, Provider
from cascade.result import Result
from cascade.settings import cache_location, trace_location, trace_prompts
from cascade.trace import JsonlSink, Sink, Tracer
from cascade.verifiers import Candidate, Task, Verdict, judge

T = TypeVar("T")
Prompt = str | Sequence[Mapping[str, Any]]
TraceArg = bool | str | Path | Sink | Sequence[Sink] | None


class Cascade:
    """An engine: a provider, a cache and trace sinks, shared by the requests it runs.

    ``cache``: True (default location), False, or a directory. ``trace``: True (default
    location), False, a path, a sink (a callable per event) or a list of sinks.
    """

    def __init__(
        self,
        *,
        provider: Provider | None = None,
        cache: bool | str | Path = True,
        trace: TraceArg = True,
        trace_prompts: bool | None = None,
        backoff_s: float = 0.5,
    ):
        self.provider: Provider = provider or LiteLLMProvider()
        self.cache = _make_cache(cache)
        self.sinks = _make_sinks(trace)
        self.trace_prompts = _trace_prompts(trace_prompts)
        self.backoff_s = backoff_s

    async def arun(
        self,
        prompt: Prompt,
        policy: PolicyRef = "default",
        *,
        models: Sequence[str] | None = None,
        ladder: str | None = None,
        max_cost_usd: float | None = None,
        cache: bool | None = None,
        trace: TraceArg = None,
    ) -> Result:
        """Answer one request; see `cascade.run`."""
        pol = resolve_policy(policy, models, ladder)
        messages = _messages(prompt, pol.system)
        sinks = self.sinks if trace is None else _make_sinks(trace)
        text = _prompt_text(messages)
        tracer = Tracer(
            pol.name,
            _hash(messages),
            sinks,
            prompt=text if self.trace_prompts else None,
            keep_text=self.trace_prompts,
        )
        ctx = CallContext(
            self.provider,
            self.cache if cache is not False else None,
            tracer,
            pol,
            self.backoff_s,
            messages,
            {},
        )
        budget = max_cost_usd if max_cost_usd is not None else pol.max_cost_usd
        task = Task(prompt=text, messages=messages, kind=pol.task_kind)
        try:
            return await _cascade(ctx, task, budget)
        finally:
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
        progress: bool | Callable[[int, int], None] = False,
        **kw: Any,
    ) -> list[Result | BaseException]:
        """Answer many requests concurrently; results come back in input order."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        sem = asyncio.Semaphore(concurrency)
        report = _progress(progress, len(prompts))
        done = 0

        async def one(p: Prompt) -> Result:
            nonlocal done
            async with sem:
                try:
                    return await self.arun(p, policy, **kw)
                finally:
                    done += 1
                    report(done, len(prompts))

        return list(
            await asyncio.gather(*(one(p) for p in prompts), return_exceptions=return_exceptions)
        )

    def run_many(
        self, prompts: Sequence[Prompt], policy: PolicyRef = "default", **kw: Any
    ) -> list[Result | BaseException]:
        """Answer many requests synchronously; see `cascade.run_many`."""
        return run_sync(self.arun_many(prompts, policy, **kw))

    def close(self) -> None:
        """Close the cache and the trace files."""
        if self.cache is not None:
            self.cache.close()
        _close(self.sinks)

    def __enter__(self) -> Cascade:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _cascade(ctx: CallContext, task: Task, budget: float | None) -> Result:
    pol, tracer = ctx.policy, ctx.tracer
    spent = 0.0
    best: Result | None = None
    last: Result | None = None
    failures: list[ProviderError] = []
    for i, tier in enumerate(pol.tiers):
        if budget is not None and spent + tier.samples * ctx.estimate(tier) > budget:
            tracer.emit(
                "budget",
                tier=i,
                model=tier.model,
                cost_usd=spent,
                reason=f"next call estimated to pass max_cost_usd={budget}",
            )
            return _stop_for_budget(pol, best, spent, budget, tracer)
        cands, errors = await sample_tier(ctx, i, tier)
        spent += sum(c.cost_usd for c in cands)
        failures += errors
        if not cands:
            if i < len(pol.tiers) - 1:
                tracer.emit("escalate", tier=i, model=tier.model, reason="every call failed")
            continue
        verdicts = await _verify(ctx, i, tier.model, cands, task)
        spent += sum(v.cost_usd for v in verdicts)
        score = combine(pol, verdicts)
        pick = next((v.choice for v in verdicts if v.choice is not None), 0)
        accepted = score >= tier.threshold
        result = Result(
            cands[pick].text,
            tier.model,
            i,
            accepted,
            spent,
            score,
            "accepted" if accepted else "exhausted",
            pol.name,
            tracer.run_id,
            (),
            tuple(cands),
            tuple(verdicts),
        )
        if accepted:
            tracer.emit("accept", tier=i, model=tier.model, score=score, cost_usd=spent)
            return _with_trace(result, spent, tracer)
        last = result
        if best is None or score >= best.score:
            best = result
        if i < len(pol.tiers) - 1:
            tracer.emit(
                "escalate",
                tier=i,
                model=tier.model,
                score=score,
                reason=f"score {score:.3f} < threshold {tier.threshold}",
            )
    if last is None:
        raise _all_failed(failures, pol).with_trace(tracer.events)
    tracer.emit("exhausted", tier=last.tier, model=last.model, score=last.score, cost_usd=spent)
    chosen = _with_trace(last if pol.on_exhausted == "last" else best or last, spent, tracer)
    if pol.on_exhausted == "raise":
        raise CascadeExhausted(
            f"no tier of policy {pol.name!r} accepted an answer", best=chosen
        ).with_trace(tracer.events)
    return chosen


async def _verify(
    ctx: CallContext, tier: int, model: str, cands: list[Candidate], task: Task
) -> list[Verdict]:
    verifiers = ctx.policy.built_verifiers
    if len(verifiers) == 1:
        verdicts = [await judge(verifiers[0], cands, task)]
    else:
        verdicts = list(await asyncio.gather(*(judge(v, cands, task) for v in verifiers)))
    for v in verdicts:
        ctx.tracer.emit(
            "verdict",
            tier=tier,
            model=model,
            name=v.name,
            score=v.score,
            passed=v.passed,
            reason=v.reason,
            cost_usd=v.cost_usd,
        )
    return verdicts


def combine(policy: Policy, verdicts: Sequence[Verdict]) -> float:
    """The tier's score: the least verdict score (``min``) or their weighted mean (``mean``)."""
    if not verdicts:
        return 1.0
    if policy.rule == "min":
        return min(v.score for v in verdicts)
    weights = [s.weight for s in policy.verifiers]
    total = sum(weights)
    if total == 0:
        return 1.0
    return sum(w * v.score for w, v in zip(weights, verdicts, strict=True)) / total


def _stop_for_budget(
    pol: Policy, best: Result | None, spent: float, budget: float, tracer: Tracer
) -> Result:
    msg = f"the next call would pass max_cost_usd={budget} (spent {spent:.6f})"
    if best is None or pol.on_budget == "raise":
        best_r = None if best is None else _with_trace(best, spent, tracer, "budget")
        raise BudgetExceeded(msg, spent_usd=spent, budget_usd=budget, best=best_r).with_trace(
            tracer.events
        )
    return _with_trace(best, spent, tracer, "budget")


def _with_trace(r: Result, spent: float, tracer: Tracer, reason: str | None = None) -> Result:
    return Result(
        r.text,
        r.model,
        r.tier,
        r.accepted,
        spent,
        r.score,
        reason or r.reason,
        r.policy,
        r.run_id,
        tuple(tracer.events),
        r.candidates,
        r.verdicts,
    )


def _all_failed(failures: list[ProviderError], pol: Policy) -> ProviderError:
    last = failures[-1]
    lines = dict.fromkeys(f"  {f.model}: {f}" for f in failures)
    msg = f"every tier of policy {pol.name!r} failed:\n" + "\n".join(lines)
    return type(last)(msg, model=last.model, status=last.status)


def resolve_policy(policy: PolicyRef, models: Sequence[str] | None, ladder: str | None) -> Policy:
    """The policy to run: loaded, then moved to other models or a named ladder if asked."""
    pol = load_policy(policy)
    if models is not None and ladder is not None:
        raise ValueError("give either models= or ladder=, not both")
    if ladder is not None:
        models = ladder_models(ladder)
    return pol.with_models(models) if models is not None else pol


def _messages(prompt: Prompt, system: str | None) -> tuple[Mapping[str, Any], ...]:
    if isinstance(prompt, str):
        if not prompt.strip():
            raise ValueError("prompt is empty; pass the request text or a list of chat messages")
        msgs: list[Mapping[str, Any]] = [{"role": "user", "content": prompt}]
    else:
        msgs = list(prompt)
        if not msgs or not all(isinstance(m, Mapping) and "role" in m for m in msgs):
            raise ValueError(
                "prompt must be a string or a non-empty list of "
                "{'role': ..., 'content': ...} messages"
            )
    if system and msgs[0].get("role") != "system":
        msgs.insert(0, {"role": "system", "content": system})
    return tuple(msgs)


def _prompt_text(messages: Sequence[Mapping[str, Any]]) -> str:
    users = [m for m in messages if m.get("role") == "user"]
    return str((users or list(messages))[-1].get("content", ""))


def _hash(messages: Sequence[Mapping[str, Any]]) -> str:
    blob = json.dumps(list(messages), sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


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


def _trace_prompts(value: bool | None) -> bool:
    return trace_prompts() if value is None else value


def _progress(
    progress: bool | Callable[[int, int], None], total: int
) -> Callable[[int, int], None]:
    if callable(progress):
        return progress
    if not progress:
        return lambda done, total: None
    import sys

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rcascade: {done}/{total} requests", end=end, file=sys.stderr, flush=True)

    return show


class _LoopThread:
    """One event loop in a daemon thread, shared by every synchronous call of this process.

    Reusing one loop keeps litellm's per-loop clients and workers alive between calls, and lets
    the sync API work the same from plain code and from inside a running loop (notebooks).
    """

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid = 0

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="cascade-loop", daemon=True).start()
                cls._loop, cls._pid = loop, os.getpid()
            return cls._loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on the shared loop thread and return its result."""
    future = asyncio.run_coroutine_threadsafe(coro, _LoopThread.loop())
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise
