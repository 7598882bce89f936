"""A cheap judge: a model rates an answer against the request by a rubric, on a 0-10 scale.

The judge model is called through ``task.complete`` (the engine traces and costs the call and
checks the budget; `BudgetExceeded` and provider errors propagate), by default on the ladder's
cheapest model at temperature 0. The request and the answer reach it as untrusted data between
per-call random tags, made inert first (see `judge_prompt`); the score is read from the judge's
reply only (see `judge_parse`), and an unreadable reply scores 0.

The first ``max_candidates`` candidates (default 1) are judged concurrently; the best rated
is the ``choice`` (ties: the earliest). ``passed`` means a score of at least ``pass_score``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import Combinable
from cascade.verifiers.judge_parse import parse_score
from cascade.verifiers.judge_prompt import (
    judge_messages,
    new_nonce,
    request_text,
    rubric_text,
)
from cascade.verifiers.registry import register

__all__ = ["Judge", "Rating", "judge"]

_REPLY_IN_REASON = 120


@dataclass(frozen=True, slots=True)
class Rating:
    """One answer's rating: the score on 0-10 (None: unreadable), how it was read, the reply."""

    score: float | None
    how: str
    reply: str = ""

    @property
    def unit(self) -> float:
        """The score on [0, 1]; an unreadable reply counts as 0."""
        return 0.0 if self.score is None else min(max(self.score / 10.0, 0.0), 1.0)


class Judge(Combinable):
    """Asks a judge model to rate candidates by a rubric; see the module docstring."""

    def __init__(
        self,
        model: str | None = None,
        rubric: str | None = None,
        max_tokens: int = 128,
        max_candidates: int = 1,
        temperature: float = 0.0,
        pass_score: float = 0.7,
        max_chars: int = 12_000,
    ):
        if max_tokens < 1 or max_candidates < 1 or max_chars < 1:
            raise ValueError("max_tokens, max_candidates and max_chars must be >= 1")
        if not 0.0 <= pass_score <= 1.0:
            raise ValueError(f"pass_score must be in [0, 1], got {pass_score}")
        if rubric is not None and not rubric.strip():
            raise ValueError("rubric must be a built-in name or a non-empty text")
        self.model = model
        self.rubric = rubric
        self.max_tokens = max_tokens
        self.max_candidates = max_candidates
        self.temperature = temperature
        self.pass_score = pass_score
        self.max_chars = max_chars
        self.name = "judge"

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Rate the first ``max_candidates`` candidates and return the best."""
        pool = list(candidates[: self.max_candidates])
        if not pool:
            return Verdict(False, 0.0, "no candidate to judge", name=self.name)
        ratings = await self._rate_all([c.text for c in pool], task)
        best = max(range(len(ratings)), key=lambda i: (ratings[i].unit, -i))
        rating = ratings[best]
        return Verdict(
            passed=rating.unit >= self.pass_score,
            score=rating.unit,
            reason=self._reason(rating, best, len(ratings)),
            choice=best,
            name=self.name,
        )

    async def _rate_all(self, answers: Sequence[str], task: Task) -> list[Rating]:
        """Rate concurrently; the first failure cancels the rest and propagates as itself."""
        try:
            async with asyncio.TaskGroup() as group:
                jobs = [group.create_task(self.rate(answer, task)) for answer in answers]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [job.result() for job in jobs]

    async def rate(self, answer: str, task: Task) -> Rating:
        """Ask the judge model about one answer and read its score."""
        if task.complete is None:
            raise RuntimeError("the judge needs task.complete: run it through a cascade engine")
        if not answer.strip():
            return Rating(0.0, "empty answer: not judged")
        nonce = new_nonce()
        rubric = rubric_text(self.rubric, task.kind)
        request = request_text(task.prompt, task.messages)
        messages = judge_messages(request, answer, rubric, nonce, self.max_chars)
        reply = await task.complete(
            messages,
            model=self.model,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            name=self.name,
        )
        sent = "\n".join(m["content"] for m in messages)
        score, how = parse_score(reply.text, nonce, sent)
        return Rating(score, how, reply.text)

    def _reason(self, rating: Rating, index: int, judged: int) -> str:
        which = f"candidate {index} of {judged} judged: " if judged > 1 else ""
        if rating.score is None:
            shown = " ".join(rating.reply.split())[:_REPLY_IN_REASON]
            return f"{which}unreadable judge reply ({rating.how}): {shown!r}; scored 0"
        return f"{which}judge rated {rating.score:g}/10 ({rating.how})"


# The class itself is the registered factory: its constructor's parameters are the TOML ones.
judge = register("judge")(Judge)
