"""Builders for tests: scripted providers at the seam, policies, verifiers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cascade.verifiers import Candidate, Task

from cascade import CallRequest, Cascade, Completion, FunctionProvider, Policy, Tier, Verdict

Outcome = str | Completion | BaseException


@dataclass
class Script:
    """Answers per model, consumed in order (the last one repeats); records every request."""

    answers: dict[str, list[Outcome]]
    tokens: tuple[int, int] = (10, 20)
    calls: list[CallRequest] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __call__(self, req: CallRequest) -> Completion:
        self.calls.append(req)
        seq = self.answers[req.model]
        out = seq[min(self.served[req.model], len(seq) - 1)]
        self.served[req.model] += 1
        if isinstance(out, BaseException):
            raise out
        if isinstance(out, Completion):
            return out
        return Completion(out, *self.tokens)


PRICES = {"m/cheap": (1e-6, 2e-6), "m/mid": (1e-5, 2e-5), "m/top": (1e-4, 2e-4)}
LADDER = ("m/cheap", "m/mid", "m/top")


def engine(script: Callable[[CallRequest], Completion], **kw: Any) -> Cascade:
    """An engine whose provider is ``script``; no cache and no trace files unless asked."""
    kw.setdefault("cache", False)
    kw.setdefault("trace", False)
    kw.setdefault("backoff_s", 0.0)
    return Cascade(provider=FunctionProvider(script, prices=PRICES), **kw)


def contains(word: str) -> Callable[[Sequence[Candidate], Task], Verdict]:
    """A verifier scoring the share of candidates that contain ``word``."""

    def verify(cands: Sequence[Candidate], task: Task) -> Verdict:
        hits = [i for i, c in enumerate(cands) if word in c.text]
        score = len(hits) / len(cands)
        return Verdict(
            bool(hits), score, f"{len(hits)} contain {word!r}", choice=hits[0] if hits else None
        )

    verify.__name__ = f"contains_{word}"
    return verify


def policy(
    models: Sequence[str] = LADDER,
    *,
    threshold: float = 0.5,
    samples: int = 1,
    verifiers: Sequence[Any] | None = None,
    **kw: Any,
) -> Policy:
    """A policy over ``models`` with one threshold and sample count for every tier."""
    tiers = [Tier(model=m, threshold=threshold, samples=samples, max_tokens=50) for m in models]
    ver = list(verifiers) if verifiers is not None else [contains("good")]
    return Policy(name="test", tiers=tuple(tiers), verifiers=tuple(ver), **kw)
