"""Builders of small recordings on disk for the replay, harness and CLI tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cascade.recordings import FORMAT, Record, Recording, open_recording

#: (model name, input price per token, output price per token), cheapest first.
MODELS = (("small", 1e-7, 2e-7), ("mid", 1e-6, 2e-6), ("big", 1e-5, 2e-5))

#: A sample as (text, correct) or (text, correct, cost_usd) or (text, correct, cost, confidence).
SampleSpec = tuple[Any, ...]


def sample(spec: SampleSpec) -> dict[str, Any]:
    """A recorded sample from a short spec."""
    text, correct, *rest = spec
    cost = rest[0] if rest else 1e-5
    confidence = rest[1] if len(rest) > 1 else None
    return {
        "text": text,
        "answer": None,
        "correct": correct,
        "tokens_in": 11,
        "tokens_out": 7,
        "cost_usd": cost,
        "latency_s": None,
        "confidence": confidence,
    }


def record(
    id: str,
    prompt: str,
    samples: Mapping[str, Sequence[SampleSpec]],
    reference: Any = "ref",
    public: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A record in the file format."""
    out: dict[str, Any] = {
        "id": id,
        "prompt": prompt,
        "reference": reference,
        "samples": {m: [sample(s) for s in ss] for m, ss in samples.items()},
    }
    if public is not None:
        out["public"] = dict(public)
    return out


def write(
    folder: Path,
    records: Sequence[Mapping[str, Any]],
    *,
    name: str = "toy",
    kind: str = "math",
    models: Sequence[tuple[str, float, float]] = MODELS,
) -> Path:
    """Write NAME.manifest.json and NAME.jsonl; return the manifest path."""
    manifest = {
        "format": FORMAT,
        "name": name,
        "suite": name,
        "task_kind": kind,
        "split": "dev",
        "source": "tests",
        "license": "MIT",
        "records": len(records),
        "notes": "for tests",
        "models": [
            {
                "name": n,
                "input_cost_per_token": i,
                "output_cost_per_token": o,
                "price_note": "made up",
            }
            for n, i, o in models
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (folder / f"{name}.jsonl").write_text(lines, encoding="utf-8")
    return path


def opened(
    folder: Path, records: Sequence[Mapping[str, Any]], **kw: Any
) -> tuple[Recording, list[Record]]:
    """Write a recording and read it back with its records."""
    recording = open_recording(write(folder, records, **kw))
    return recording, recording.load()
