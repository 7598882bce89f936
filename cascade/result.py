"""`Result`: what a request returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cascade.trace import Event
from cascade.verifiers import Candidate, Verdict


@dataclass(frozen=True, slots=True)
class Result:
    """The answer to one request, who gave it, what it cost, and every step taken.

    ``accepted`` is True when a tier's verifiers passed it; False when the ladder ran out or the
    budget stopped the cascade (``reason`` says which) and this is the best answer seen.
    ``choice`` is the index in ``candidates`` of the answer returned. ``parsed`` is the answer as
    a verifier parsed it (a validated JSON object or model instance,
    a number), when one did.
    """

    text: str
    model: str
    tier: int
    accepted: bool
    cost_usd: float
    score: float
    reason: str
    policy: str
    run_id: str
    trace: tuple[Event, ...]
    candidates: tuple[Candidate, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    parsed: Any = None
    choice: int = 0

    @property
    def calls(self) -> int:
        """Provider calls made for this request (cache hits excluded)."""
        return sum(1 for e in self.trace if e.kind == "call")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the answer, the decision and the trace."""
        return {
            "text": self.text,
            "model": self.model,
            "tier": self.tier,
            "accepted": self.accepted,
            "cost_usd": self.cost_usd,
            "score": self.score,
            "reason": self.reason,
            "parsed": _jsonable(self.parsed),
            "policy": self.policy,
            "run_id": self.run_id,
            "verdicts": [
                {"name": v.name, "score": v.score, "passed": v.passed, "reason": v.reason}
                for v in self.verdicts
            ],
            "trace": [e.to_dict() for e in self.trace],
        }


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value
