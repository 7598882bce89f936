"""How well the vote verifier's score separates right answers from wrong ones, on recordings.

For every recording (format cascade-recordings/1) and model, the vote verifier is run over the
first k recorded sample texts of each prompt (k = 5, and k = all recorded samples when there are
more; recordings with fewer samples use them all, and one sample shows the k = 1 rule). The
verifier sees only the prompt, ``public`` and the texts; labels are used only to score it: the
label of a prompt is the recorded ``correct`` of the sample the verifier answers with (its
``choice``; the first sample when it has none).

Columns: ``acc1`` accuracy of the first sample, ``acc`` accuracy of the verifier's choice,
``auc`` ROC-AUC of the score against that label, then per threshold t (0.6, 0.8): ``acc>=t``
share of prompts accepted (score >= t), ``far`` false-accept rate (share of wrong answers
accepted) and ``err`` share of the accepted answers that are wrong.

    python benchmarks/vote_auc.py [--recordings DIR ...] [--only NAME ...] [--k 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cascade.verifiers.base import Candidate, Task
from cascade.verifiers.vote import Vote

from benchmarks.metrics import roc_auc
from cascade.recordings import Recording, find_recordings

_DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "recordings"
THRESHOLDS = (0.6, 0.8)


@dataclass(frozen=True)
class Row:
    """The vote's separation on one recording, model and k."""

    recording: str
    model: str
    k: int
    prompts: int
    acc_first: float
    acc_choice: float
    auc: float
    accept: tuple[float, ...]
    far: tuple[float, ...]
    err: tuple[float, ...]
    seconds: float


@dataclass
class _Scores:
    scores: list[float]
    labels: list[int]
    first: list[int]


async def _score(recording: Recording, vote: Vote, ks: dict[str, list[int]]) -> list[Row]:
    """Run the vote over every record for each model and k; one row per (model, k)."""
    kind = recording.manifest.task_kind
    found: dict[tuple[str, int], _Scores] = {}
    spent: dict[tuple[str, int], float] = {}
    for record in recording.records():
        seen = record.visible()
        task = Task(prompt=seen.prompt, kind=kind, public=dict(seen.public or {}))
        for model, k_list in ks.items():
            for k in k_list:
                texts = seen.texts[model][:k]
                cands = [Candidate(text, model, i) for i, text in enumerate(texts)]
                start = time.perf_counter()
                verdict = await vote(cands, task)
                spent[model, k] = spent.get((model, k), 0.0) + time.perf_counter() - start
                chosen = record.samples[model][verdict.choice or 0]
                acc = found.setdefault((model, k), _Scores([], [], []))
                acc.scores.append(verdict.score)
                acc.labels.append(int(chosen.correct))
                acc.first.append(int(record.samples[model][0].correct))
    return [_row(recording.name, m, k, s, spent[m, k]) for (m, k), s in found.items()]


def _row(name: str, model: str, k: int, s: _Scores, seconds: float) -> Row:
    n, wrong = len(s.labels), s.labels.count(0)
    accept, far, err = [], [], []
    for t in THRESHOLDS:
        taken = [y for score, y in zip(s.scores, s.labels, strict=True) if score >= t]
        accept.append(len(taken) / n)
        far.append(taken.count(0) / wrong if wrong else math.nan)
        err.append(taken.count(0) / len(taken) if taken else math.nan)
    return Row(
        name,
        model,
        k,
        n,
        sum(s.first) / n,
        sum(s.labels) / n,
        roc_auc(s.scores, s.labels),
        tuple(accept),
        tuple(far),
        tuple(err),
        seconds,
    )


def _ks(recording: Recording, k: int) -> dict[str, list[int]]:
    """The k values per model: ``k`` (or fewer when fewer were recorded) and all when more."""
    first = next(iter(recording.records()))
    out = {}
    for model in recording.manifest.model_names:
        recorded = len(first.samples[model])
        out[model] = sorted({min(k, recorded), recorded})
    return out


def _fmt(x: float) -> str:
    return "  -  " if math.isnan(x) else f"{x:.3f}"


def render(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    cols = ["recording", "model", "k", "n", "acc1", "acc", "auc"]
    for t in THRESHOLDS:
        cols += [f"acc>={t}", f"far@{t}", f"err@{t}"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [r.recording, r.model, str(r.k), str(r.prompts)]
        cells += [_fmt(r.acc_first), _fmt(r.acc_choice), _fmt(r.auc)]
        for i in range(len(THRESHOLDS)):
            cells += [_fmt(r.accept[i]), _fmt(r.far[i]), _fmt(r.err[i])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> list[Row]:
    vote = Vote(concurrency=args.concurrency)
    rows: list[Row] = []
    for recording in find_recordings(args.recordings):
        if args.only and not any(part in recording.name for part in args.only):
            continue
        start = time.perf_counter()
        rows += await _score(recording, vote, _ks(recording, args.k))
        took = time.perf_counter() - start
        print(f"{recording.name}: {took:.1f} s", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, score every recording, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", nargs="+", default=[_DEFAULT_DIR], type=Path)
    parser.add_argument("--only", nargs="*", default=[], help="recording names containing these")
    parser.add_argument("--k", type=int, default=5, help="samples per vote (default 5)")
    parser.add_argument("--concurrency", type=int, default=2, help="sandbox runs at once")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    rows = asyncio.run(_main(args))
    print(render(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
