"""The trivial built-in verifier: the answer is not blank."""

from __future__ import annotations

from collections.abc import Sequence

from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import Combinable
from cascade.verifiers.registry import register


class NonEmpty(Combinable):
    """Scores the share of candidates whose stripped text has at least ``min_chars`` characters."""

    def __init__(self, min_chars: int = 1):
        if min_chars < 1:
            raise ValueError(f"min_chars must be >= 1, got {min_chars}")
        self.min_chars = min_chars
        self.name = "non_empty"

    def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        ok = [i for i, c in enumerate(candidates) if len(c.text.strip()) >= self.min_chars]
        score = len(ok) / len(candidates) if candidates else 0.0
        reason = f"{len(ok)}/{len(candidates)} candidates non-empty"
        return Verdict(
            passed=bool(ok),
            score=score,
            reason=reason,
            choice=ok[0] if ok else None,
            name=self.name,
        )


@register("non_empty")
def non_empty(min_chars: int = 1) -> NonEmpty:
    """A verifier that accepts any answer with at least ``min_chars`` non-blank characters."""
    return NonEmpty(min_chars)
