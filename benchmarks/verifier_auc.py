"""How well each verifier's score separates right answers from wrong ones, on recordings.

For every recording (format cascade-recordings/1), model and applicable verifier, the real
verifier (built with `cascade.verifiers.build`) judges Candidates made from the recorded texts,
for a Task made from `Record.visible()` only (prompt, ``public``, the manifest's task kind; a
``public["schema"]`` becomes the task's schema): never the reference, the answers or the labels.

Verifiers that judge one answer (``non_empty``; ``execute`` for code; ``schema`` for json with
a schema; ``judge``; ``quantities`` at k = 1 for math) judge every recorded sample alone: one
row unit per sample. Verifiers that compare samples (``vote``; ``quantities`` for math) judge
the first k samples of each prompt together, as a tier drawing k samples would (fewer when
fewer were recorded): one unit per prompt. A unit's label is the recorded ``correct`` of the
candidate its verdict chose (``choice``; the first candidate when it chose none).

Columns: ``n`` units, ``acc`` share of labels correct, ``auc`` ROC-AUC of the score against
the label, ``t`` the cheapest tier's threshold in the preset of the recording's task kind
(``policies/<kind>.toml``), ``far@t`` the false-accept rate there (share of wrong answers
scoring >= t), ``accept@t`` the share of units scoring >= t. ``judge`` needs a model
(``--judge MODEL``, one call per recorded sample through cascade, cached like any call).

    python -m benchmarks.verifier_auc [--recordings DIR ...] [--only NAME ...] [--k 5 ...]
        [--verifiers NAME ...] [--judge MODEL] [--jobs 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cascade.verifiers.quantities  # registers the "quantities" kind
from cascade.verifiers import build, run_verifier

import cascade
from benchmarks.metrics import roc_auc
from cascade import Candidate, Policy, Task, Tier, Verdict
from cascade.recordings import Record, Recording, VisibleRecord, find_recordings

__all__ = ["Check", "Row", "checks", "main", "measure", "plan", "render", "task_of", "threshold"]

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "recordings"
NEEDS_JUDGE = "needs a judge model (--judge MODEL)"


@dataclass(frozen=True)
class Check:
    """A verifier to measure: its label, registered kind and parameters, and how it is fed."""

    name: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    together: bool = False
    """True: the first k samples of a prompt in one verdict; False: each sample alone."""


@dataclass(frozen=True)
class Row:
    """One verifier's separation on one recording and model."""

    recording: str
    model: str
    verifier: str
    k: int
    n: int
    acc: float
    auc: float
    threshold: float
    far: float
    accept: float
    seconds: float
    note: str = ""


def checks(task_kind: str, has_schema: bool, judge: str | None) -> list[Check]:
    """The verifiers that apply to a recording of ``task_kind``."""
    found = [Check("non_empty", "non_empty"), Check("vote", "vote", together=True)]
    if task_kind == "code":
        found.append(Check("execute", "execute"))
    if task_kind == "json" and has_schema:
        found.append(Check("schema", "schema"))
    if task_kind == "math":
        found += [
            Check("quantities", "quantities", together=True),
            Check("quantities", "quantities"),
        ]
    found.append(Check("judge", "judge", {"model": judge} if judge else {}))
    return found


def task_of(seen: VisibleRecord, kind: str, judge: str | None = None) -> Task:
    """The Task a verifier sees: only what `Record.visible()` gives."""
    public = dict(seen.public or {})
    schema = public.get("schema")
    return Task(
        prompt=seen.prompt,
        kind=kind,
        public=public,
        schema=schema if isinstance(schema, Mapping) else None,
        complete=_caller(judge) if judge else None,
    )


def _caller(default: str) -> Any:
    """A ``task.complete`` that asks a model through cascade (for ``--judge``)."""

    async def complete(
        prompt: str | Sequence[Mapping[str, Any]],
        *,
        model: str | None = None,
        max_tokens: int = 256,
        temperature: float | None = 0.0,
        name: str = "judge",
    ) -> Candidate:
        tier = Tier(model=model or default, max_tokens=max_tokens, temperature=temperature)
        result = await cascade.arun(prompt, Policy(name=name, tiers=(tier,)))
        return Candidate(result.text, result.model, cost_usd=result.cost_usd)

    return complete


def threshold(task_kind: str) -> float:
    """The cheapest tier's threshold in the preset named after ``task_kind`` (else default)."""
    try:
        policy = cascade.load_policy(task_kind)
    except cascade.PolicyError:
        policy = cascade.load_policy("default")
    return next(t.threshold for t in policy.tiers if not t.skip)


async def measure(
    recording: Recording, check: Check, model: str, k: int, judge: str | None = None, jobs: int = 2
) -> Row:
    """Run one verifier over a recording's samples of one model and score its separation."""
    kind = recording.manifest.task_kind
    t = threshold(kind)
    if check.kind == "judge" and not judge:
        return _row(recording.name, model, check.name, 1, [], t, 0.0, NEEDS_JUDGE)
    verifier = build(check.kind, check.params)
    start = time.perf_counter()
    units = [
        (r, i)
        for r in recording.records()
        for i in (range(1) if check.together else range(len(r.samples[model])))
    ]
    gate, cache = asyncio.Semaphore(jobs), dict[tuple[str, ...], asyncio.Future[Verdict]]()

    async def judged(cands: list[Candidate], task: Task) -> Verdict:
        async with gate:
            return await run_verifier(verifier, cands, task)

    async def one(record: Record, first: int) -> tuple[float, int]:
        seen = record.visible()
        texts = seen.texts[model][first : first + (k if check.together else 1)]
        key = (seen.prompt, *texts)
        if key not in cache:  # equal texts of one prompt are judged once
            cands = [Candidate(text, model, first + j) for j, text in enumerate(texts)]
            cache[key] = asyncio.ensure_future(judged(cands, task_of(seen, kind, judge)))
        verdict = await cache[key]
        chosen = record.samples[model][first + (verdict.choice or 0)]
        return verdict.score, int(chosen.correct)

    scored = await asyncio.gather(*(one(r, i) for r, i in units))
    took = time.perf_counter() - start
    return _row(recording.name, model, check.name, k, scored, t, took)


def _row(
    name: str,
    model: str,
    label: str,
    k: int,
    scored: list[tuple[float, int]],
    t: float,
    took: float,
    note: str = "",
) -> Row:
    scores, labels = [s for s, _ in scored], [y for _, y in scored]
    n, wrong = len(labels), labels.count(0)
    taken = [y for s, y in scored if s >= t]
    return Row(
        name,
        model,
        label,
        k,
        n,
        sum(labels) / n if n else math.nan,
        roc_auc(scores, labels) if n else math.nan,
        t,
        taken.count(0) / wrong if wrong else math.nan,
        len(taken) / n if n else math.nan,
        took,
        note,
    )


def _fmt(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.3f}"


def render(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    cols = ["recording", "model", "verifier", "k", "n", "acc", "auc", "t", "far@t", "accept@t"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [r.recording, r.model, r.verifier, str(r.k), str(r.n), _fmt(r.acc)]
        cells += [_fmt(r.auc) if not r.note else r.note, f"{r.threshold:g}", _fmt(r.far)]
        lines.append("| " + " | ".join([*cells, _fmt(r.accept)]) + " |")
    return "\n".join(lines)


def _k(text: str) -> int | None:
    """A ``--k`` value: a sample count, or ``all`` (every recorded sample) as None."""
    if text == "all":
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive count or 'all', got {text!r}")
    return int(text)


async def _main(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    for recording in find_recordings(args.recordings):
        if args.only and not any(part in recording.name for part in args.only):
            continue
        start = time.perf_counter()
        for check, model, k in plan(recording, args.k, args.judge):
            if not args.verifiers or check.name in args.verifiers:
                rows.append(await measure(recording, check, model, k, args.judge, args.jobs))
        took = time.perf_counter() - start
        print(f"{recording.name}: {took:.1f} s", file=sys.stderr, flush=True)
    return rows


def plan(
    recording: Recording, ks: Sequence[int | None], judge: str | None
) -> list[tuple[Check, str, int]]:
    """(verifier, model, k) to measure, each once; an unconfigured judge once per recording."""
    first = next(recording.records(), None)
    public = first.public if first is not None else None
    has_schema = isinstance((public or {}).get("schema"), Mapping)
    found: dict[tuple[str, str, int], tuple[Check, str, int]] = {}
    for check in checks(recording.manifest.task_kind, has_schema, judge):
        if check.kind == "judge" and not judge:
            found.setdefault((check.name, "-", 1), (check, "-", 1))
            continue
        for model in recording.manifest.model_names:
            recorded = len(first.samples[model]) if first is not None else 1
            sizes = {min(k or recorded, recorded) for k in ks} if check.together else {1}
            for k in sorted(sizes):
                found.setdefault((check.name, model, k), (check, model, k))
    return list(found.values())


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--recordings", nargs="+", default=[DEFAULT_DIR], type=Path)
    parser.add_argument("--only", nargs="*", default=[], help="recording names containing these")
    parser.add_argument("--k", nargs="+", type=_k, default=[5], help="samples per vote, or 'all'")
    parser.add_argument("--verifiers", nargs="*", default=[], help="only these verifier names")
    parser.add_argument("--judge", metavar="MODEL", help="litellm model string for 'judge'")
    parser.add_argument("--jobs", type=int, default=2, help="verdicts in flight (default 2)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, measure every recording, print the table."""
    args = parser().parse_args(argv)
    rows = asyncio.run(_main(args))
    print(render(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
