"""benchmarks/extraction_check.py on a small recording built here, and the public surface."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.extraction_check import check, main

MODULES = [
    "extract",
    "extract_arith",
    "extract_choice",
    "extract_code",
    "extract_dates",
    "extract_fences",
    "extract_json",
    "extract_math",
    "extract_numbers",
    "extract_program",
    "extract_qa",
]


def _sample(text: str, answer: str | None, correct: bool) -> dict[str, Any]:
    return {
        "text": text,
        "answer": answer,
        "correct": correct,
        "tokens_in": None,
        "tokens_out": None,
        "cost_usd": 0.0,
        "latency_s": None,
        "confidence": None,
    }


def _write(folder: Path) -> Path:
    manifest = {
        "format": "cascade-recordings/1",
        "name": "tiny",
        "suite": "tiny",
        "task_kind": "math",
        "split": "dev",
        "source": "built in a test",
        "license": "MIT",
        "models": [{"name": "m", "input_cost_per_token": 0, "output_cost_per_token": 0}],
        "records": 2,
        "notes": "",
    }
    records = [
        {
            "id": "1",
            "prompt": "2 + 2?",
            "reference": {"answer": "4"},
            "samples": {
                "m": [
                    _sample("2 + 2 = 4", "4", True),
                    _sample("#### $4.00", "00", False),
                    _sample("I am not sure", None, False),
                ]
            },
        },
        {
            "id": "2",
            "prompt": "3 + 3?",
            "reference": {"answer": "6"},
            "samples": {"m": [_sample("The answer is 6.", "6", True)]},
        },
    ]
    (folder / "tiny.manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    lines = "".join(json.dumps(record) + "\n" for record in records)
    (folder / "tiny.jsonl").write_text(lines, encoding="utf-8")
    return folder / "tiny.manifest.json"


def test_check_counts(tmp_path: Path) -> None:
    _, tallies = check(_write(tmp_path))
    tally = tallies["m"]
    assert (tally.samples, tally.found, tally.with_answer, tally.agree) == (4, 3, 3, 2)
    assert (tally.scored, tally.proxy_right) == (4, 3)
    assert [key for key, _, _ in tally.key_is_ref] == ["4"]
    assert tally.key_not_ref == []
    assert (tally.distinct_texts, tally.distinct_keys) == (4, 2)


def test_main_prints_one_row_per_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path)
    assert main(["--recordings", str(tmp_path), "--examples", "1"]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out
    assert "key=ref key='4'" in out


def test_main_without_recordings(tmp_path: Path) -> None:
    assert main(["--recordings", str(tmp_path)]) == 1


@pytest.mark.parametrize("name", MODULES)
def test_public_names_exist_and_are_documented(name: str) -> None:
    module = importlib.import_module(f"cascade.verifiers.{name}")
    assert module.__doc__
    for public in module.__all__:
        obj = getattr(module, public)
        if callable(obj) and getattr(obj, "__module__", "").startswith("cascade."):
            assert obj.__doc__, f"{name}.{public} has no docstring"
