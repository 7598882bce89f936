"""Measure answer extraction on recorded model answers.

For every recording (format cascade-recordings/1) and model it prints:

- found: share of samples for which `extract_answer` finds an answer;
- agree: agreement of that key with the key of the recording's own parsed `answer` field,
  over the `(of)` samples that have one;
- texts>keys: distinct sample texts per prompt, summed, against distinct keys: how much
  the key merges answers written differently;
- proxy: for math, choice and qa, the accuracy of "key equals the reference's key" as a
  predictor of the recorded `correct` label, over samples whose reference has an answer.
  Its misses are split in two: `key=ref` (the key equals the reference but the label says
  wrong: the source graded a format, e.g. `May 2, 2021` or `$16.00`, or another number of
  the text) and `key!=ref` (the label says right but the key differs: extraction missed).

Choice recordings without `public` choices get the options parsed from the prompt.
References and labels are used here only to score; extraction never sees them.

    python benchmarks/extraction_check.py [--recordings DIR] [--no-fold] [--examples N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cascade.verifiers.extract import choices_from_prompt, extract_answer, extract_math

_DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "recordings"
_PROXY_KINDS = {"math", "choice", "qa"}


@dataclass
class Tally:
    """Counts for one recording and model."""

    samples: int = 0
    found: int = 0
    with_answer: int = 0
    agree: int = 0
    scored: int = 0
    proxy_right: int = 0
    key_is_ref: list[tuple[str | None, str | None, str]] = field(default_factory=list)
    key_not_ref: list[tuple[str | None, str | None, str]] = field(default_factory=list)
    distinct_texts: int = 0
    distinct_keys: int = 0


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _public(record: Mapping[str, Any], kind: str) -> dict[str, Any]:
    public = dict(record.get("public") or {})
    if kind == "choice" and not (public.get("choices") or public.get("options")):
        choices = choices_from_prompt(record["prompt"])
        if choices:
            public["choices"] = choices
    return public


def _key(text: str, kind: str, public: Mapping[str, Any], fold: bool) -> str | None:
    if kind == "math" and not fold:
        return extract_math(text, fold_programs=False)
    return extract_answer(text, kind, public)


def _score(
    tally: Tally,
    sample: Mapping[str, Any],
    kind: str,
    public: Mapping[str, Any],
    ref_key: str | None,
    fold: bool,
) -> None:
    key = _key(sample["text"], kind, public, fold)
    tally.samples += 1
    tally.found += key is not None
    if sample.get("answer") is not None:
        tally.with_answer += 1
        tally.agree += key == _key(str(sample["answer"]), kind, public, fold)
    if kind not in _PROXY_KINDS or ref_key is None:
        return
    tally.scored += 1
    predicted = key is not None and key == ref_key
    if predicted == bool(sample["correct"]):
        tally.proxy_right += 1
    else:
        misses = tally.key_is_ref if predicted else tally.key_not_ref
        misses.append((key, ref_key, sample["text"]))


def check(manifest_path: Path, fold: bool = True) -> tuple[dict[str, Any], dict[str, Tally]]:
    """Tally extraction over one recording."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    kind = manifest["task_kind"]
    tallies = {model["name"]: Tally() for model in manifest["models"]}
    data = manifest_path.with_name(manifest_path.name.replace(".manifest.json", ".jsonl"))
    for record in _records(data):
        public = _public(record, kind)
        reference = (record.get("reference") or {}).get("answer")
        ref_key = None if reference is None else _key(str(reference), kind, public, fold)
        for model, samples in record["samples"].items():
            for sample in samples:
                _score(tallies[model], sample, kind, public, ref_key, fold)
            keys = {_key(sample["text"], kind, public, fold) for sample in samples}
            tallies[model].distinct_texts += len({sample["text"] for sample in samples})
            tallies[model].distinct_keys += len(keys - {None})
    return manifest, tallies


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "-"


def _row(name: str, kind: str, model: str, t: Tally) -> str:
    return (
        f"{name:27} {kind:6} {model:24} {t.samples:5d} {_share(t.found, t.samples):>6} "
        f"{_share(t.agree, t.with_answer):>6} {t.with_answer:5d} "
        f"{_share(t.proxy_right, t.scored):>6} {len(t.key_is_ref):7d} {len(t.key_not_ref):8d} "
        f"{t.distinct_texts:>6d}>{t.distinct_keys:<5d}"
    )


def _examples(t: Tally, count: int) -> Iterator[str]:
    for label, misses in (("key=ref", t.key_is_ref), ("key!=ref", t.key_not_ref)):
        for key, ref_key, text in misses[:count]:
            snippet = text.strip().replace("\n", " | ")[-160:]
            yield f"    {label} key={key!r} ref={ref_key!r}: {snippet}"


def main(argv: list[str] | None = None) -> int:
    """Run the check over every recording in a folder and print one table."""
    parser = argparse.ArgumentParser(description="Measure answer extraction on recordings.")
    parser.add_argument("--recordings", type=Path, default=_DEFAULT_DIR)
    parser.add_argument("--no-fold", action="store_true", help="do not fold PoT arithmetic")
    parser.add_argument("--examples", type=int, default=0, help="print N misses of each type")
    args = parser.parse_args(argv)
    manifests = sorted(args.recordings.glob("*.manifest.json"))
    if not manifests:
        print(f"no recordings in {args.recordings}", file=sys.stderr)
        return 1
    began = time.perf_counter()
    print(
        f"{'recording':27} {'kind':6} {'model':24} {'n':>5} {'found':>6} {'agree':>6} "
        f"{'(of)':>5} {'proxy':>6} {'key=ref':>7} {'key!=ref':>8} {'texts>keys':>11}"
    )
    for path in manifests:
        manifest, tallies = check(path, fold=not args.no_fold)
        for model, tally in tallies.items():
            print(_row(manifest["name"], manifest["task_kind"], model, tally))
            for line in _examples(tally, args.examples):
                print(line)
    print(f"({time.perf_counter() - began:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
