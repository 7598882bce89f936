"""Judge verifiers during replay: a configured judge model (through litellm, cached on disk), or
the recorded ``confidence`` of each answer standing in for the judge's score."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diskcache

from cascade import CallRequest, Candidate, Completion, Policy, Provider, Task, Verdict
from cascade.providers import TokenPrices
from cascade.recordings import Record
from cascade.replay import current_record

__all__ = [
    "RECORDED",
    "CachedProvider",
    "JudgeMode",
    "RecordedConfidence",
    "confidence_coverage",
    "is_judge",
    "prepare_policy",
    "uses_judge",
]

RECORDED = "recorded-confidence"


@dataclass(frozen=True, slots=True)
class JudgeMode:
    """How judge verifiers score during replay: recorded confidence, or a litellm judge model."""

    model: str | None = None

    @classmethod
    def parse(cls, text: str) -> JudgeMode:
        """``recorded-confidence`` or a litellm model string."""
        return cls(None if text == RECORDED else text)

    @property
    def label(self) -> str:
        """How the report names this mode."""
        return RECORDED if self.model is None else f"judge model {self.model} (litellm, cached)"


def is_judge(kind: str) -> bool:
    """Whether a verifier kind or name is a judge (one that asks a model for its verdict)."""
    return "judge" in kind.lower()


def uses_judge(policy: Policy) -> bool:
    """Whether any verifier of `policy`, or any verifier nested in one's parameters, is a judge."""
    return any(is_judge(s.kind) or _nests_judge(s.params) for s in policy.verifiers)


def _nests_judge(value: object) -> bool:
    if isinstance(value, Mapping):
        kind = value.get("kind")
        if isinstance(kind, str) and is_judge(kind):
            return True
        return any(_nests_judge(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_nests_judge(v) for v in value)
    return False


def _swap(value: Any, ladder: Mapping[str, str]) -> Any:
    """`value` with every judge table (``{kind = "judge", ...}``) replaced by a stand-in."""
    if isinstance(value, Mapping):
        kind = value.get("kind")
        if isinstance(kind, str) and is_judge(kind):
            return RecordedConfidence(kind, ladder)
        return {k: _swap(v, ladder) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_swap(v, ladder) for v in value]
    return value


class RecordedConfidence:
    """A judge stand-in: scores the candidates by their recorded confidence, picks the highest.

    Confidence in [0, 1] is used as is; a negative value is read as a log-probability; a value
    above 1 counts as 1. Without any recorded confidence the verdict is neutral (score 1.0).
    """

    def __init__(self, name: str, models: Mapping[str, str]):
        self.name = name
        self.models = dict(models)

    def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Score = the best candidate's recorded confidence."""
        record = current_record()
        scores = [self._confidence(record, c) for c in candidates]
        known = [(s, i) for i, s in enumerate(scores) if s is not None]
        if not known:
            return Verdict(True, 1.0, "no recorded confidence: neutral", name=self.name)
        score, best = max(known, key=lambda pair: (pair[0], -pair[1]))
        return Verdict(
            score >= 0.5, score, f"recorded confidence {score:.3f}", 0.0, best, self.name
        )

    def _confidence(self, record: Record | None, candidate: Candidate) -> float | None:
        name = self.models.get(candidate.model)
        if record is None or name is None:
            return None
        value = record.sample(name, candidate.sample).confidence
        if value is None:
            return None
        return math.exp(value) if value < 0 else min(value, 1.0)


def prepare_policy(policy: Policy, ladder: Mapping[str, str], mode: JudgeMode) -> Policy:
    """`policy` on the replay ladder (engine model -> recorded model, cheapest first), with judge
    verifiers, nested ones included, scored by recorded confidence unless a judge model is set."""
    moved = policy.with_models(list(ladder))
    if mode.model is not None or not uses_judge(moved):
        return moved
    specs = [
        {"kind": s.kind, "weight": s.weight, "instance": RecordedConfidence(s.kind, ladder)}
        if is_judge(s.kind)
        else {"kind": s.kind, "weight": s.weight, "params": _swap(s.params, ladder)}
        if _nests_judge(s.params)
        else s
        for s in moved.verifiers
    ]
    fields = {name: getattr(moved, name) for name in type(moved).model_fields}
    return Policy(**{**fields, "verifiers": specs})


def confidence_coverage(records: Sequence[Record], models: Sequence[str]) -> float:
    """The share of the ladder's recorded samples that carry a confidence."""
    total = found = 0
    for record in records:
        for name in models:
            for sample in record.samples[name]:
                total += 1
                found += sample.confidence is not None
    return found / total if total else 0.0


class CachedProvider:
    """A provider whose answers are kept on disk, keyed on the model, messages and parameters.

    A cached answer keeps its recorded cost, so that a replay costs the same on every run.
    """

    def __init__(self, inner: Provider, directory: str | Path):
        self.inner = inner
        self.cache = diskcache.Cache(str(directory))

    async def complete(self, request: CallRequest) -> Completion:
        """The cached answer, or the inner provider's (then cached)."""
        key = _key(request)
        hit: dict[str, Any] | None = self.cache.get(key)
        if hit is not None:
            return Completion(**hit)
        out = await self.inner.complete(request)
        self.cache.set(key, _fields(out))
        return out

    def price(self, model: str) -> TokenPrices | None:
        """The inner provider's price."""
        return self.inner.price(model)

    def close(self) -> None:
        """Close the disk cache."""
        self.cache.close()


def _fields(c: Completion) -> dict[str, Any]:
    return {
        "text": c.text,
        "tokens_in": c.tokens_in,
        "tokens_out": c.tokens_out,
        "cost_usd": c.cost_usd,
    }


def _key(request: CallRequest) -> str:
    parts = [request.model, list(request.messages), request.params(), request.sample]
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
