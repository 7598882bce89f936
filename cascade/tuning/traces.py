"""Tuning data from traces of real use.

A trace holds, per request, the score and an answer fingerprint of every tier that ran. Only
*explored* requests (``Cascade(explore=p)``: a random share that also runs the tiers above the
accepted one) give an unbiased, complete row: a request that simply escalated was chosen by its low
scores, and one accepted early says nothing about the tiers above. Labels: the caller's
``feedback`` event where it names a tier's answer; otherwise agreement with the top tier's answer
(a proxy: it takes the top tier as right, so the tuned policy aims to agree with the top tier,
and code answers, which rarely agree to the letter, look worse than they are).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cascade.errors import PolicyError
from cascade.policy import Policy
from cascade.tuning.data import Dataset, file_hash
from cascade.tuning.simulate import Table

DECISIONS = ("accept", "escalate", "exhausted", "explore")


@dataclass
class Run:
    """What a trace says about one request."""

    policy: str = ""
    prompt: str = ""
    explored: bool = False
    scores: dict[int, float] = field(default_factory=dict)
    answers: dict[int, str] = field(default_factory=dict)
    models: dict[int, str] = field(default_factory=dict)
    costs: dict[int, float] = field(default_factory=dict)
    feedback: tuple[bool, str | None] | None = None

    def add(self, e: dict[str, Any]) -> None:
        """Take one event of this request."""
        kind, tier = e.get("kind"), e.get("tier")
        self.policy = self.policy or str(e.get("policy", ""))
        self.prompt = self.prompt or str(e.get("prompt") or "")  # text only when opted in
        if kind == "feedback":
            self.feedback = (bool(e.get("passed")), e.get("answer"))
            return
        if not isinstance(tier, int):
            return
        if kind in ("call", "verdict"):
            self.costs[tier] = self.costs.get(tier, 0.0) + float(e.get("cost_usd") or 0.0)
        elif kind in DECISIONS and e.get("score") is not None:
            self.explored = self.explored or bool(e.get("explored"))
            self.scores[tier] = float(e["score"])
            self.answers[tier] = str(e.get("answer") or "")
            self.models[tier] = str(e.get("model") or "")

    @property
    def ladder(self) -> tuple[tuple[int, str], ...]:
        """The (tier, model) pairs this request ran."""
        return tuple(sorted(self.models.items()))

    def runs_on(self, models: list[str]) -> bool:
        """Whether every tier this request ran had the model ``models`` names for it."""
        return all(t < len(models) and models[t] == m for t, m in self.models.items())

    def label(self, tier: int, top: int) -> bool:
        """Whether ``tier``'s answer counts as right (see the module)."""
        answer, top_answer = self.answers[tier], self.answers[top]
        if self.feedback is not None:
            passed, named = self.feedback
            if named == answer:
                return passed
            if named == top_answer and not passed:
                return False  # the top tier is known wrong; agreeing with it proves nothing
        return tier == top or (answer != "" and answer == top_answer)


def trace_files(paths: Iterable[Path]) -> list[Path]:
    """The trace files among ``paths`` (files, or folders searched for ``*.jsonl``)."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.glob("*.jsonl")) if p.is_dir() else [p])
    return out


def is_trace(path: Path) -> bool:
    """Whether ``path`` is a trace file (a JSONL file whose first line is an event)."""
    if path.suffix != ".jsonl" or not path.is_file():
        return False
    with path.open(encoding="utf-8") as fh:
        first = fh.readline()
    try:
        head = json.loads(first)
    except ValueError:
        return False
    return isinstance(head, dict) and "run_id" in head and "kind" in head


def read_runs(files: Iterable[Path]) -> dict[str, Run]:
    """Every request in ``files``, by run id (lines that do not parse are skipped)."""
    runs: dict[str, Run] = {}
    for path in files:
        for e in _events(path):
            rid = e.get("run_id")
            if isinstance(rid, str):
                runs.setdefault(rid, Run()).add(e)
    return runs


def _events(path: Path) -> Iterator[dict[str, Any]]:
    loads = json.loads
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                e = loads(line)
            except ValueError:
                continue
            if isinstance(e, dict):
                yield e


_Ladder = tuple[str, tuple[tuple[int, str], ...]]  # a policy's name and its (tier, model) pairs


def most_explored(runs: dict[str, Run], half: int | None = None) -> str:
    """The policy of the most common (policy, ladder) pair among the explored requests of
    ``half`` in ``runs``: the one `from_traces` reads when given no policy."""
    return _commonest(_explored_ladders(runs, half)[1])[0]


def _commonest(ladders: Counter[_Ladder]) -> _Ladder:
    """The most common (policy, ladder) pair; ties go to the first seen."""
    return ladders.most_common(1)[0][0]


def _explored_ladders(runs: dict[str, Run], half: int | None) -> tuple[list[Run], Counter[_Ladder]]:
    """The explored requests of ``half``, and how many there are per (policy, ladder)."""
    kept = [r for rid, r in runs.items() if _in_half(rid, half)]
    explored = [r for r in kept if r.explored]
    ladders = Counter((r.policy, r.ladder) for r in explored)
    if not ladders:
        raise PolicyError(
            f"the traces ({len(kept)} requests) hold no explored request, so no tier above an "
            "accepted one was ever scored; run with Cascade(explore=0.05) (or "
            "cascade.configure(explore=0.05)) to collect tuning data",
            field="data",
        )
    return explored, ladders


def from_traces(
    files: list[Path],
    policy: Policy | None = None,
    half: int | None = None,
    runs: dict[str, Run] | None = None,
) -> tuple[Dataset, str, list[int]]:
    """The tuning table of the explored requests in ``files`` made with ``policy``: its name and
    the same model at every tier (runs with ``models=`` or another ladder are left out). Without
    ``policy``, the most explored policy and ladder. Also returns the policy's name and the tiers
    that are columns. ``half`` keeps one half of the requests (split by run id). ``runs``, when
    given, are ``read_runs(files)`` already read."""
    explored, ladders = _explored_ladders(read_runs(files) if runs is None else runs, half)
    if policy is None:
        name, ladder = _commonest(ladders)
        mine = [r for r in explored if (r.policy, r.ladder) == (name, ladder)]
    else:
        name = policy.name
        models = [t.model for t in policy.tiers]
        mine = [r for r in explored if r.policy == name and r.runs_on(models)]
    if not mine:
        found = "; ".join(f"{n} on {list(m)} ({c})" for (n, m), c in ladders.most_common(5))
        raise PolicyError(
            f"no explored request of policy {name!r} on its own models in the traces; found: "
            f"{found}",
            field="policy",
        )
    tiers = sorted({t for r in mine for t in r.scores})
    rows = [r for r in mine if all(t in r.scores for t in tiers)]
    top = tiers[-1]
    shape = (len(rows), len(tiers))
    table = Table(
        np.array([[r.scores[t] for t in tiers] for r in rows], dtype=float).reshape(shape),
        np.array([[r.label(t, top) for t in tiers] for r in rows], dtype=bool).reshape(shape),
        np.array([[r.costs.get(t, 0.0) for t in tiers] for r in rows], dtype=float).reshape(shape),
    )
    models = (
        [Counter(r.models[t] for r in rows).most_common(1)[0][0] for t in tiers] if rows else []
    )
    sources = [f"{f.name} ({file_hash(f)})" for f in files]
    ids = [str(i) for i in range(len(rows))]
    return Dataset(table, [r.prompt for r in rows], ids, sources, models), name, tiers


def _in_half(run_id: str, half: int | None) -> bool:
    if half is None:
        return True
    digest = hashlib.blake2b(run_id.encode("utf-8"), digest_size=2).digest()
    return digest[0] % 2 == half
