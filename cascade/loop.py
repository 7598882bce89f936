"""The cascade loop: cheapest tier first, verify, accept or escalate."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from cascade.calls import CallContext, sample_tier, tokens_in_estimate, verifier_caller
from cascade.errors import BudgetExceeded, CascadeExhausted, ProviderError
from cascade.policy import Policy
from cascade.request import answer_key
from cascade.result import Result
from cascade.verifiers import Candidate, Task, Verdict, Verifier, run_verifier
from cascade.verifiers.base import is_cooperative


async def cascade(ctx: CallContext, task: Task) -> Result:
    """Answer ``task`` on ``ctx.policy``'s ladder; see `cascade.run` for the outcomes.

    A tier that cannot save money on this request (`dominated_tiers`) is left out (a ``skip``
    event says why). When ``ctx.explore`` is set, the tiers above the accepted one run too
    (``explore`` events), and so do the tiers left out on price (unless the request has a
    budget), which may not answer; the trace then holds every tier's score and answer for the
    tuner, the answer returned is the one the request would have had, and the exploration's cost
    is part of the request's.
    """
    pol, tracer = ctx.policy, ctx.tracer
    best: Result | None = None
    last: Result | None = None
    accepted: Result | None = None
    failures: list[ProviderError] = []
    dominated = dominated_tiers(ctx) if pol.skip_dominated and len(pol.tiers) > 1 else {}
    for i, tier in enumerate(pol.tiers):
        if tier.skip or i < ctx.start:
            continue
        shadow = i in dominated  # run only to explore, never to answer
        if shadow and (not ctx.explore or ctx.budget is not None):
            # under a budget, exploring it could take what the tiers that answer need
            tracer.emit("skip", tier=i, model=tier.model, reason=dominated[i])
            continue
        if not ctx.affordable(tier.samples * ctx.estimate(tier.model, tier.max_tokens)):
            if accepted is not None:
                break  # exploring stops at the budget; the accepted answer stands
            return _stop_for_budget(ctx, i, tier.model, best)
        cands, errors = await sample_tier(ctx, i, tier)
        failures += errors
        if not cands:
            if accepted is None and not shadow and i < _last(pol):
                tracer.emit("escalate", tier=i, model=tier.model, reason="every call failed")
            continue
        try:
            verdicts = await _verify(ctx, i, tier.model, cands, task)
        except BudgetExceeded:  # a verifier's own call would pass the budget: unverified
            if accepted is not None:
                break
            unverified = Result(
                cands[0].text,
                tier.model,
                i,
                False,
                ctx.spent,
                0.0,
                "budget",
                pol.name,
                tracer.run_id,
                (),
                tuple(cands),
            )
            return _stop_for_budget(ctx, i, tier.model, best or unverified)
        _emit_verdicts(ctx, i, tier.model, verdicts)
        score = combine(pol, verdicts)
        result = _tier_result(ctx, i, tier.model, cands, verdicts, score, tier.threshold)
        answer = answer_key(result.text, result.parsed)
        mark = True if ctx.explore else None  # every decision of an explored request says so
        if accepted is not None or shadow:
            tracer.emit(
                "explore",
                tier=i,
                model=tier.model,
                score=score,
                cost_usd=ctx.spent,  # the running total, as on accept: the last one is the whole
                answer=answer,
                explored=True,
            )
            continue
        if result.accepted:
            tracer.emit(
                "accept",
                tier=i,
                model=tier.model,
                score=score,
                cost_usd=ctx.spent,
                answer=answer,
                explored=mark,
            )
            if not ctx.explore or i == _last(pol):
                return _final(result, ctx)
            accepted = result
            continue
        if i < _last(pol):
            tracer.emit(
                "escalate",
                tier=i,
                model=tier.model,
                score=score,
                reason=f"score {score:.3f} < threshold {tier.threshold}",
                answer=answer,
                explored=mark,
            )
        last = result
        if best is None or score >= best.score:
            best = result
    if accepted is not None:
        return _final(accepted, ctx)
    if last is None:
        raise _all_failed(failures, pol).with_trace(tracer.events)
    tracer.emit(
        "exhausted",
        tier=last.tier,
        model=last.model,
        score=last.score,
        cost_usd=ctx.spent,
        answer=answer_key(last.text, last.parsed),
        explored=True if ctx.explore else None,
    )
    chosen = _final(last if pol.on_exhausted == "last" else best or last, ctx)
    if pol.on_exhausted == "raise":
        raise CascadeExhausted(
            f"no tier of policy {pol.name!r} accepted an answer", best=chosen
        ).with_trace(tracer.events)
    return chosen


async def _verify(
    ctx: CallContext, tier: int, model: str, cands: list[Candidate], task: Task
) -> list[Verdict]:
    task = dataclasses.replace(task, complete=verifier_caller(ctx, tier))
    verifiers = ctx.policy.built_verifiers
    if not all(is_cooperative(v) for v in verifiers):
        ctx.tracer.flush()  # it may hold the loop: the steps so far go to disk first
    if len(verifiers) == 1:
        verdicts = [await _judged(verifiers[0], cands, task)]
    else:
        verdicts = list(await asyncio.gather(*(_judged(v, cands, task) for v in verifiers)))
    for v in verdicts:
        ctx.spent += v.cost_usd
    return verdicts


def _emit_verdicts(ctx: CallContext, tier: int, model: str, verdicts: list[Verdict]) -> None:
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


def _tier_result(
    ctx: CallContext,
    tier: int,
    model: str,
    cands: list[Candidate],
    verdicts: list[Verdict],
    score: float,
    threshold: float,
) -> Result:
    """The tier's answer: the candidate a verifier chose (the first by default), judged."""
    pick = next((v.choice for v in verdicts if v.choice is not None), 0)
    parsed = next((v.value for v in verdicts if v.value is not None), None)
    accepted = score >= threshold
    return Result(
        cands[pick].text,
        model,
        tier,
        accepted,
        ctx.spent,
        score,
        "accepted" if accepted else "exhausted",
        ctx.policy.name,
        ctx.tracer.run_id,
        (),
        tuple(cands),
        tuple(verdicts),
        parsed=parsed,
        choice=pick,
    )


async def _judged(verifier: Verifier, cands: list[Candidate], task: Task) -> Verdict:
    """A verifier's verdict; when its own model call fails (after retries, already traced), the
    tier counts as unverified (score 0) and the cascade moves on instead of failing."""
    try:
        return await run_verifier(verifier, cands, task)
    except ProviderError as exc:
        return Verdict(False, 0.0, f"verifier call failed: {exc}"[:300], name=verifier.name)


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


def _stop_for_budget(ctx: CallContext, tier: int, model: str, best: Result | None) -> Result:
    msg = f"the next call would pass max_cost_usd={ctx.budget} (spent {ctx.spent:.6f})"
    ctx.tracer.emit("budget", tier=tier, model=model, cost_usd=ctx.spent, reason=msg)
    chosen = None if best is None else _final(best, ctx, "budget")
    if chosen is None or ctx.policy.on_budget == "raise":
        raise BudgetExceeded(
            msg, spent_usd=ctx.spent, budget_usd=ctx.budget or 0.0, best=chosen
        ).with_trace(ctx.tracer.events)
    return chosen


def _final(r: Result, ctx: CallContext, reason: str | None = None) -> Result:
    return dataclasses.replace(
        r, cost_usd=ctx.spent, reason=reason or r.reason, trace=tuple(ctx.tracer.events)
    )


def _all_failed(failures: list[ProviderError], pol: Policy) -> ProviderError:
    last = failures[-1]
    lines = dict.fromkeys(f"  {f}" for f in failures)
    msg = f"every tier of policy {pol.name!r} failed:\n" + "\n".join(lines)
    return type(last)(msg, model=last.model, status=last.status)


def dominated_tiers(ctx: CallContext) -> dict[int, str]:
    """The tiers that cannot save money on this request, each with the reason.

    A tier's answer saves at most the calls of every running tier above it; when its own
    samples cost at least that much (estimated on this request, as `CallContext.estimate` does),
    accepting costs no less than going up, and escalating pays twice. Tiers of unknown price are
    kept, and nothing below one is judged. `Policy.skip_dominated` turns this off.
    """
    pol = ctx.policy
    tokens_in = tokens_in_estimate(ctx.messages)
    above = 0.0  # the estimated cost of every kept tier above: the most an answer here saves
    out: dict[int, str] = {}
    for i in range(_last(pol), -1, -1):
        tier = pol.tiers[i]
        if tier.skip:
            continue
        price = ctx.price(tier.model)
        if price is None:
            break  # an unknown price bounds nothing below it
        cost = tier.samples * (tokens_in * price[0] + tier.max_tokens * price[1])
        if above > 0.0 and cost >= above * (1 - 1e-9):
            out[i] = (
                f"{tier.samples} sample(s) cost ~{cost:.3g} USD, the tiers above ~{above:.3g}: "
                "accepting here cannot save money"
            )
        else:
            above += cost
    return out


def _last(pol: Policy) -> int:
    """The index of the last tier that runs."""
    return max(i for i, t in enumerate(pol.tiers) if not t.skip)
