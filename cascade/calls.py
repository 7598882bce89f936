"""Model calls of one request: cache lookup, the provider call with retries and backoff, cost,
events, and the running total. Used for a tier's samples and for verifiers' own calls."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cascade.cache import AnswerCache, cache_key
from cascade.errors import BudgetExceeded, ProviderError, ProviderTimeout
from cascade.policy import Policy, Tier
from cascade.providers import CallRequest, Completion, Provider, TokenPrices, map_error
from cascade.trace import Tracer
from cascade.verifiers import Candidate

Messages = tuple[Mapping[str, Any], ...]


@dataclass
class CallContext:
    """What a request's calls share: provider, cache, trace, prices, retries and the spend."""

    provider: Provider
    cache: AnswerCache | None
    tracer: Tracer
    policy: Policy
    backoff_s: float
    messages: Messages
    extra: Mapping[str, Any]
    budget: float | None = None
    spent: float = 0.0
    digest: str | None = None  # `messages_digest(messages)`, computed once per request
    explore: bool = False  # run every tier, also above the accepted one (tuning data)
    start: int = 0  # the first tier to run (a pre-router's choice)

    def price(self, model: str) -> TokenPrices | None:
        """Policy-declared price first, then the provider's."""
        declared = self.policy.prices.get(model)
        if declared is not None:
            return declared.input_cost_per_token, declared.output_cost_per_token
        return self.provider.price(model)

    def estimate(self, model: str, max_tokens: int, messages: Messages | None = None) -> float:
        """An upper estimate of one call's cost (input at ~2 chars a token, full max_tokens)."""
        price = self.price(model)
        if price is None:
            return 0.0
        return (
            tokens_in_estimate(self.messages if messages is None else messages) * price[0]
            + max_tokens * price[1]
        )

    def affordable(self, cost: float) -> bool:
        """Whether spending ``cost`` more keeps the request within its budget."""
        return self.budget is None or self.spent + cost <= self.budget

    def cost(self, model: str, c: Completion) -> float:
        """A completion's cost: declared price, else the provider's figure, else its map price."""
        declared = model in self.policy.prices
        if c.cost_usd is not None and not declared:
            return c.cost_usd
        price = self.price(model)
        if price is None:
            return 0.0
        return (c.tokens_in or 0) * price[0] + (c.tokens_out or 0) * price[1]


def tokens_in_estimate(messages: Messages) -> int:
    """An upper estimate of the input tokens of ``messages`` (~2 characters a token)."""
    chars = sum(len(str(m.get("content", ""))) for m in messages)
    return chars // 2 + 8 * len(messages) + 8


async def sample_tier(
    ctx: CallContext, index: int, tier: Tier
) -> tuple[list[Candidate], list[ProviderError]]:
    """Run a tier's samples concurrently; return the answers and the calls that failed."""
    temperature = tier.temperature
    if temperature is None and tier.samples > 1:
        temperature = 0.7
    requests = [
        CallRequest(
            tier.model, ctx.messages, tier.max_tokens, temperature, tier.timeout_s, s, ctx.extra
        )
        for s in range(tier.samples)
    ]
    if len(requests) == 1:
        outcomes: Sequence[Candidate | ProviderError] = [await call(ctx, index, requests[0])]
    else:
        outcomes = await asyncio.gather(*(call(ctx, index, r) for r in requests))
    cands = [o for o in outcomes if isinstance(o, Candidate)]
    errors = [o for o in outcomes if isinstance(o, ProviderError)]
    return cands, errors


def verifier_caller(ctx: CallContext, index: int) -> Any:
    """The ``task.complete`` function handed to verifiers at tier ``index``."""

    async def complete(
        prompt: str | Sequence[Mapping[str, Any]],
        *,
        model: str | None = None,
        max_tokens: int = 256,
        temperature: float | None = 0.0,
        name: str = "verifier",
    ) -> Candidate:
        msgs: Messages = (
            ({"role": "user", "content": prompt},) if isinstance(prompt, str) else tuple(prompt)
        )
        target = model or ctx.policy.tiers[0].model
        if not ctx.affordable(ctx.estimate(target, max_tokens, msgs)):
            raise BudgetExceeded(
                f"{name}: a call to {target} would pass max_cost_usd={ctx.budget}",
                spent_usd=ctx.spent,
                budget_usd=ctx.budget or 0,
            )
        req = CallRequest(
            target, msgs, max_tokens, temperature, ctx.policy.tiers[0].timeout_s, purpose=name
        )
        out = await call(ctx, index, req, name=name)
        if isinstance(out, ProviderError):
            raise out
        return out

    return complete


async def call(
    ctx: CallContext, index: int, req: CallRequest, name: str | None = None
) -> Candidate | ProviderError:
    """One call: from the cache, or from the provider with retries; traced and added to spend."""
    key = None
    if ctx.cache is not None:
        digest = ctx.digest if req.messages is ctx.messages else None
        key = cache_key(req.model, req.messages, req.params(), req.sample, digest)
        # an explored request pays for every call, so that its trace holds true tier costs
        hit = None if ctx.explore else ctx.cache.get(key)
        if hit is not None:
            ctx.tracer.emit(
                "cache_hit",
                tier=index,
                model=req.model,
                sample=req.sample,
                name=name,
                tokens_in=hit.get("tokens_in"),
                tokens_out=hit.get("tokens_out"),
                cost_usd=0.0,
                latency_s=0.0,
                text=hit["text"],
            )
            return Candidate(
                hit["text"],
                req.model,
                req.sample,
                hit.get("tokens_in"),
                hit.get("tokens_out"),
                0.0,
                0.0,
                cached=True,
            )
    blocking = getattr(ctx.provider, "blocking", False)
    for attempt in range(ctx.policy.retries + 1):
        if blocking:
            ctx.tracer.flush()  # the call holds the loop: the steps so far go to disk first
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(req.timeout_s):
                comp = await ctx.provider.complete(req)
        except Exception as exc:
            err = _as_provider_error(exc, req)
            retry = err.retryable and attempt < ctx.policy.retries
            ctx.tracer.emit(
                "error",
                tier=index,
                model=req.model,
                sample=req.sample,
                name=name,
                latency_s=time.perf_counter() - t0,
                error=str(err),
                retry=retry,
            )
            if not retry:
                return err
            await asyncio.sleep(_backoff(ctx.backoff_s, attempt))
            continue
        latency = time.perf_counter() - t0
        cost = ctx.cost(req.model, comp)
        ctx.spent += cost
        ctx.tracer.emit(
            "call",
            tier=index,
            model=req.model,
            sample=req.sample,
            name=name,
            tokens_in=comp.tokens_in,
            tokens_out=comp.tokens_out,
            cost_usd=cost,
            latency_s=latency,
            text=comp.text,
        )
        if key is not None and ctx.cache is not None:
            ctx.cache.set(
                key, {"text": comp.text, "tokens_in": comp.tokens_in, "tokens_out": comp.tokens_out}
            )
        return Candidate(
            comp.text, req.model, req.sample, comp.tokens_in, comp.tokens_out, cost, latency
        )
    raise AssertionError("unreachable: the retry loop always returns")


def _as_provider_error(exc: BaseException, req: CallRequest) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError):
        return ProviderTimeout(f"{req.model}: no answer within {req.timeout_s} s", model=req.model)
    return map_error(exc, req.model)


def _backoff(base: float, attempt: int) -> float:
    """Exponential backoff with jitter, capped at 30 s."""
    return float(min(30.0, base * 2**attempt) * random.uniform(0.5, 1.5))
