"""Replay recorded answers as if models had answered, so that any policy runs through the engine.

`ReplayProvider` is a cascade provider: a call to ``replay/<model>`` on the prompt being replayed
gets that model's recorded sample ``request.sample`` (cycling through the recorded samples in
order), with its recorded tokens and cost. The record being replayed is threaded through a
context variable set by `replay_one`, so duplicate prompts never mix; without it the record is
looked up by the prompt text. A call that is not a recorded answer (a verifier asking a model,
such as a judge) goes to ``verifier_provider`` when one is given, and is an error otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cascade import (
    BadRequest,
    BudgetExceeded,
    CallRequest,
    Cascade,
    CascadeExhausted,
    Completion,
    Policy,
    Provider,
    Result,
)
from cascade.providers import TokenPrices
from cascade.recordings import Manifest, Record, Sample

__all__ = [
    "PREFIX",
    "ReplayProvider",
    "Returned",
    "current_record",
    "ladder_for",
    "replay_all",
    "replay_one",
    "returned_sample",
]

PREFIX = "replay/"
_CURRENT: ContextVar[Record | None] = ContextVar("benchmarks_replay_record", default=None)


def current_record() -> Record | None:
    """The record being replayed in this task, if any."""
    return _CURRENT.get()


def ladder_for(models: Sequence[str]) -> dict[str, str]:
    """Engine model strings (``replay/<name>``) mapped to recorded model names, in ladder order."""
    return {PREFIX + name: name for name in models}


class ReplayProvider:
    """A provider serving recorded samples as the answers of the models of a recording."""

    def __init__(
        self,
        manifest: Manifest,
        records: Iterable[Record] = (),
        *,
        models: Mapping[str, str] | None = None,
        verifier_provider: Provider | None = None,
        verifier_model: str | None = None,
    ):
        self.models = dict(models if models is not None else ladder_for(manifest.model_names))
        known = set(manifest.model_names)
        unknown = sorted(set(self.models.values()) - known)
        if unknown:
            raise ValueError(f"{manifest.name} has no model {', '.join(unknown)}")
        infos = {m.name: m for m in manifest.models}
        self.prices: dict[str, TokenPrices] = {
            s: (infos[n].input_cost_per_token, infos[n].output_cost_per_token)
            for s, n in self.models.items()
        }
        self.by_prompt: dict[str, Record] = {}
        for record in records:
            self.by_prompt.setdefault(record.prompt, record)
        self.verifier_provider = verifier_provider
        self.verifier_model = verifier_model

    async def complete(self, request: CallRequest) -> Completion:
        """The recorded sample for a replayed prompt; other calls go to the verifier provider."""
        prompt = _user_text(request.messages)
        record = current_record() or self.by_prompt.get(prompt)
        name = self.models.get(request.model)
        if record is not None and name is not None and prompt == record.prompt:
            s = record.sample(name, request.sample)
            return Completion(s.text, s.tokens_in, s.tokens_out, s.cost_usd)
        return await self._verifier_call(request)

    def price(self, model: str) -> TokenPrices | None:
        """The manifest's per-token price of a replayed model, else the verifier provider's."""
        if model in self.prices:
            return self.prices[model]
        return None if self.verifier_provider is None else self.verifier_provider.price(model)

    async def _verifier_call(self, request: CallRequest) -> Completion:
        if self.verifier_provider is None:
            raise BadRequest(
                f"{request.model}: a verifier asked a model during replay, and no judge model is "
                "configured (python -m benchmarks --judge MODEL)",
                model=request.model,
            )
        if self.verifier_model is not None:
            request = _with_model(request, self.verifier_model)
        return await self.verifier_provider.complete(request)


def _with_model(request: CallRequest, model: str) -> CallRequest:
    return dataclasses.replace(request, model=model)


def _user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


async def replay_one(engine: Cascade, policy: Policy, record: Record) -> Result:
    """Run `policy` on one record's prompt, with only its public inputs shown to verifiers.

    A JSON Schema among the public inputs (``public.schema``) is passed as the request's schema.

    A policy that raises when exhausted or over budget is scored on the best answer it carries.
    """
    token = _CURRENT.set(record)
    try:
        public = record.public or {}
        found = public.get("schema")
        schema = found if isinstance(found, Mapping) else None
        return await engine.arun(record.prompt, policy, public=public, schema=schema, cache=False)
    except (CascadeExhausted, BudgetExceeded) as exc:
        if isinstance(exc.best, Result):
            return exc.best
        raise
    finally:
        _CURRENT.reset(token)


async def replay_all(
    engine: Cascade,
    policy: Policy,
    records: Sequence[Record],
    *,
    concurrency: int = 32,
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    """Run `policy` on every record (at most `concurrency` at once); results in record order."""
    sem = asyncio.Semaphore(concurrency)

    async def one(record: Record) -> Result:
        async with sem:
            result = await replay_one(engine, policy, record)
        if progress is not None:
            progress(1)
        return result

    jobs: list[Awaitable[Result]] = [one(r) for r in records]
    return list(await asyncio.gather(*jobs))


@dataclass(frozen=True, slots=True)
class Returned:
    """Which recorded sample a result returned, and the deepest tier the request called."""

    model: str
    index: int
    sample: Sample
    reached: int


def returned_sample(result: Result, record: Record, models: Mapping[str, str]) -> Returned:
    """The recorded sample behind `result.text`, found exactly as the engine chose it.

    ``result.choice`` is the candidate answered with; its sample index gives the recorded sample.
    """
    candidate = result.candidates[result.choice]
    name = models[candidate.model]
    sample = record.sample(name, candidate.sample)
    if sample.text != result.text or candidate.model != result.model:
        raise AssertionError(
            f"record {record.id}: the result's text is not {name}'s sample {candidate.sample}"
        )
    tiers = [e.tier for e in result.trace if e.kind == "call" and e.tier is not None]
    return Returned(name, candidate.sample, sample, max(tiers, default=result.tier))
