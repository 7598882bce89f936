"""The module-level API: `run`, `arun`, `run_many`, `arun_many` on a shared default engine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cascade.engine import Cascade, TraceArg
from cascade.policy import PolicyRef
from cascade.providers import Provider
from cascade.request import Prompt, Schema
from cascade.result import Result

_default: Cascade | None = None
_lock = threading.Lock()


def configure(
    *,
    provider: Provider | None = None,
    cache: bool | str | Path = True,
    trace: TraceArg = True,
    trace_prompts: bool | None = None,
    backoff_s: float = 0.5,
    explore: float = 0.0,
) -> Cascade:
    """Replace the default engine used by `run` and friends (e.g. ``configure(cache=False)``)."""
    global _default
    engine = Cascade(
        provider=provider,
        cache=cache,
        trace=trace,
        trace_prompts=trace_prompts,
        backoff_s=backoff_s,
        explore=explore,
    )
    with _lock:
        old, _default = _default, engine
    if old is not None:
        old.close()
    return engine


def default_engine() -> Cascade:
    """The engine behind the module-level functions, created on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = Cascade()
        return _default


def run(
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
    """Answer ``prompt`` with the cheapest tier of ``policy`` whose answer the verifiers accept.

    ``policy`` is a preset name, a TOML path or a `Policy`; ``models`` replaces the ladder (one
    model forces it); ``ladder`` picks a named ladder; ``max_cost_usd`` caps the request's spend;
    ``schema`` (a JSON Schema dict or a pydantic class) asks for JSON that satisfies it;
    ``tests`` are tests for a code answer; ``public`` holds other inputs verifiers may use (such
    as ``{"choices": [...]}``); ``cache=False`` skips the answer cache; ``trace`` overrides where
    events go (False: nowhere).
    """
    return default_engine().run(
        prompt,
        policy,
        models=models,
        ladder=ladder,
        max_cost_usd=max_cost_usd,
        schema=schema,
        tests=tests,
        public=public,
        cache=cache,
        trace=trace,
    )


async def arun(
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
    """The async form of `run`."""
    return await default_engine().arun(
        prompt,
        policy,
        models=models,
        ladder=ladder,
        max_cost_usd=max_cost_usd,
        schema=schema,
        tests=tests,
        public=public,
        cache=cache,
        trace=trace,
    )


def run_many(
    prompts: Sequence[Prompt],
    policy: PolicyRef = "default",
    *,
    concurrency: int = 16,
    return_exceptions: bool = False,
    progress: bool | Callable[[int, int], None] = False,
    **kw: Any,
) -> list[Result | BaseException]:
    """Answer many prompts concurrently (at most ``concurrency`` at once), in input order.

    With ``return_exceptions=True`` a failed request yields its exception in its slot instead
    of failing the batch; ``progress=True`` prints a counter to stderr.
    """
    return default_engine().run_many(
        prompts,
        policy,
        concurrency=concurrency,
        return_exceptions=return_exceptions,
        progress=progress,
        **kw,
    )


async def arun_many(
    prompts: Sequence[Prompt],
    policy: PolicyRef = "default",
    *,
    concurrency: int = 16,
    return_exceptions: bool = False,
    progress: bool | Callable[[int, int], None] = False,
    **kw: Any,
) -> list[Result | BaseException]:
    """The async form of `run_many`."""
    return await default_engine().arun_many(
        prompts,
        policy,
        concurrency=concurrency,
        return_exceptions=return_exceptions,
        progress=progress,
        **kw,
    )


def feedback(result: Result, correct: bool, reason: str | None = None) -> None:
    """Record whether ``result``'s answer was right, in the default engine's trace; `cascade tune`
    uses it as that answer's label."""
    default_engine().feedback(result, correct, reason)


def tune(data: Sequence[str | Path], policy: PolicyRef | None = None, **kw: Any) -> Any:
    """Learn a policy's thresholds from recordings; see `cascade.tuning.tune.tune`.

    ``cascade.tune(["recordings/"], "code", target_quality=0.99, out="code.tuned.toml")``
    returns a `TuneReport` (``.summary()``, ``.policy``, ``.validation``).
    """
    from cascade.tuning.tune import tune as _tune

    return _tune(data, policy, **kw)
