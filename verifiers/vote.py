"""Self-consistency vote over a tier's samples: the share of samples that agree on one answer.

Each sample's answer is keyed per task kind (see `cascade.verifiers.extract`): math by its
final number, choice by option letter (options from ``public`` or the prompt), json by canonical
JSON, qa by normalized short answer, ``default`` by the whole normalized text. Code is keyed by
behaviour: every program runs in the sandbox, after the prompt's setup code, on the calls of the
prompt's visible examples (both read by `cascade.verifiers.examples`), and programs with equal
results form a group (without such calls, by `code_key`, the normalized syntax tree). A sample
with no answer counts in the denominator but joins no group.

Score: the winning group's size over k. For code, that share is multiplied by the share of the
visible examples the group reproduces, and the winner is the group with the highest product: a
majority that fails the prompt's own examples is not evidence of a right answer. Ties go to the
group reproducing more examples, then to the larger, then to the one holding the earliest
sample; ``choice`` is that group's earliest sample and ``value`` its key (for code, the program
itself).

One sample (k = 1) cannot vote: it scores ``single_score`` (default 1.0, neutral under the
``min`` rule) when it has an answer, 0.0 otherwise, and for code times its share of visible
examples reproduced, which a single sample can still be measured on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cascade.verifiers.base import Candidate, Combinable, Task, Verdict
from cascade.verifiers.examples import (
    defined_names,
    entry_point,
    find_examples,
    parameters,
    setup_code,
)
from cascade.verifiers.extract import (
    choices_from_prompt,
    code_key,
    extract_answer,
    extract_code,
)
from cascade.verifiers.extract_qa import normalize_text
from cascade.verifiers.registry import register
from cascade.verifiers.sandbox import Limits, SandboxError
from cascade.verifiers.vote_code import Behaviour, CodeRunner

__all__ = ["Group", "Vote", "tally", "vote"]

_KINDS = ("math", "choice", "qa", "json", "code", "default")


@dataclass(frozen=True, slots=True)
class Group:
    """Samples that gave the same answer: their key, indices and share of examples reproduced."""

    key: Any
    members: tuple[int, ...]
    quality: float = 1.0

    def weight(self, k: int) -> float:
        """The group's score among ``k`` samples: its share times its quality."""
        return len(self.members) / k * self.quality


def tally(keys: Sequence[Any], quality: Mapping[Any, float] | None = None) -> list[Group]:
    """Groups of equal non-None keys, best first: by weight, quality, size, earliest sample."""
    members: dict[Any, list[int]] = {}
    for index, key in enumerate(keys):
        if key is not None:
            members.setdefault(key, []).append(index)
    groups = [Group(key, tuple(ids), (quality or {}).get(key, 1.0)) for key, ids in members.items()]
    k = max(len(keys), 1)
    return sorted(groups, key=lambda g: (-g.weight(k), -g.quality, -len(g.members), g.members[0]))


class Vote(Combinable):
    """Scores the share of samples agreeing on one answer; see the module docstring."""

    def __init__(
        self,
        kind: str | None = None,
        min_votes: int | None = None,
        single_score: float = 1.0,
        examples: bool = True,
        timeout_s: float = 3.0,
        concurrency: int = 2,
    ):
        if kind is not None and kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
        if min_votes is not None and min_votes < 1:
            raise ValueError(f"min_votes must be >= 1, got {min_votes}")
        if not 0.0 <= single_score <= 1.0:
            raise ValueError(f"single_score must be in [0, 1], got {single_score}")
        self.kind = kind
        self.min_votes = min_votes
        self.single_score = single_score
        self.examples = examples
        self.runner = CodeRunner(Limits(timeout_s=timeout_s), concurrency)
        self.name = "vote"

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Group the candidates' answers and score the winning group."""
        kind = self.kind or task.kind
        texts = [c.text for c in candidates]
        if kind == "code":
            keys, quality, note, values = await self._code(texts, task)
        else:
            keys, quality, note = [self._key(t, kind, task) for t in texts], None, ""
            values = list(keys)
        return self._verdict(keys, quality, note, values)

    def _key(self, text: str, kind: str, task: Task) -> str | None:
        if kind == "default":
            return normalize_text(text) or None
        public: Mapping[str, Any] = task.public
        if kind == "choice" and "choices" not in public and "options" not in public:
            found = choices_from_prompt(task.prompt)
            public = {**public, "choices": found} if found else public
        return extract_answer(text, kind, public)

    async def _code(
        self, texts: Sequence[str], task: Task
    ) -> tuple[list[Any], dict[Any, float], str, list[Any]]:
        """Behaviour keys with each key's share of examples reproduced, a note, the programs."""
        entry = entry_point(task)
        prefix = setup_code(task.prompt, entry)
        codes = [extract_code(text, entry) for text in texts]
        arity = parameters(task.prompt)
        names = set(arity) | ({entry} if entry else set())
        for code in codes:
            names |= defined_names(code or "")
        single = entry if entry and arity.get(entry) == 1 else None
        examples = find_examples(task.prompt, names, single) if self.examples else ()
        if not examples:
            return _syntax(codes), {}, "no visible examples: grouped by code", list(codes)
        try:
            behaviours = await self.runner.behaviours(codes, prefix, examples)
        except SandboxError as exc:
            return _syntax(codes), {}, f"sandbox unavailable ({exc}): grouped by code", list(codes)
        keys = [None if b is None else b.key for b in behaviours]
        quality = {b.key: _share(b) for b in behaviours if b is not None and b.key is not None}
        stated = sum(e.expected is not None for e in examples)
        note = f"ran {len(examples)} visible examples ({stated} with a stated result)"
        return keys, quality, note, list(codes)

    def _verdict(
        self,
        keys: Sequence[Any],
        quality: Mapping[Any, float] | None,
        note: str,
        values: Sequence[Any],
    ) -> Verdict:
        k = len(keys)
        groups = tally(keys, quality)
        if not groups:
            reason = f"no answer found in {k} sample{'s' * (k != 1)}"
            return Verdict(False, 0.0, _join(reason, note), name=self.name)
        best = groups[0]
        size, choice = len(best.members), best.members[0]
        if k == 1:
            score = self.single_score * best.quality
            reason = f"a single sample cannot vote: score {self.single_score:g} for an answer"
        else:
            score = best.weight(k)
            missing = sum(key is None for key in keys)
            reason = f"{size}/{k} samples agree ({len(groups)} groups, {missing} without answer)"
        if quality:
            reason += f"; the group reproduces {best.quality:.0%} of the stated results"
        needed = self.min_votes if self.min_votes is not None else k // 2 + 1
        passed = size >= needed and score > 0.0
        value = values[choice]
        return Verdict(
            passed, score, _join(reason, note), choice=choice, name=self.name, value=value
        )


def _share(behaviour: Behaviour) -> float:
    return behaviour.passed / behaviour.checked if behaviour.checked else 1.0


def _join(reason: str, note: str) -> str:
    return f"{reason}; {note}" if note else reason


# The class itself is the registered factory: its constructor's parameters are the TOML ones.
vote = register("vote")(Vote)


def _syntax(codes: Sequence[str | None]) -> list[str | None]:
    """Grouping keys of the programs by their code alone."""
    return [None if code is None else code_key(code) for code in codes]
