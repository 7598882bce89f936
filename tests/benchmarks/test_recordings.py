"""Tests for cascade.recordings: reading, finding and checking recordings."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cascade.recordings import (
    FORMAT,
    Record,
    RecordingError,
    VisibleRecord,
    find_recordings,
    open_recording,
)

MODELS = ("small", "big")
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "recordings"


def a_sample(**fields: Any) -> dict[str, Any]:
    """A valid sample, with `fields` replaced."""
    sample = {
        "text": "The answer is 4.",
        "answer": "4",
        "correct": True,
        "tokens_in": 10,
        "tokens_out": 5,
        "cost_usd": 0.001,
        "latency_s": 0.5,
        "confidence": None,
    }
    return sample | fields


def a_record(id: str = "q1", models: tuple[str, ...] = MODELS, **fields: Any) -> dict[str, Any]:
    """A valid record with one correct sample per model, with `fields` replaced."""
    samples = {model: [a_sample(cost_usd=0.001 * (i + 1))] for i, model in enumerate(models)}
    record = {
        "id": id,
        "prompt": "What is 2 + 2?",
        "reference": {"answer": "4"},
        "public": {"choices": ["3", "4"]},
        "samples": samples,
    }
    return record | fields


def a_manifest(models: tuple[str, ...] = MODELS, records: int = 1, **fields: Any) -> dict[str, Any]:
    """A valid manifest, with `fields` replaced."""
    infos = [
        {
            "name": m,
            "input_cost_per_token": 1e-6 * (i + 1),
            "output_cost_per_token": 2e-6 * (i + 1),
            "price_note": "made up",
        }
        for i, m in enumerate(models)
    ]
    manifest = {
        "format": FORMAT,
        "name": "toy",
        "suite": "toy",
        "task_kind": "math",
        "split": "dev",
        "source": "builder",
        "license": "MIT",
        "models": infos,
        "records": records,
        "notes": "for tests",
    }
    return manifest | fields


def write(
    folder: Path,
    name: str = "toy",
    manifest: dict[str, Any] | None = None,
    records: list[dict[str, Any]] | None = None,
    lines: list[str] | None = None,
) -> Path:
    """Write NAME.manifest.json (indented) and NAME.jsonl; return the manifest path."""
    records = [a_record()] if records is None else records
    if lines is None:
        lines = [json.dumps(r) for r in records]
    manifest = a_manifest(records=len(lines)) if manifest is None else manifest
    path = folder / f"{name}.manifest.json"
    path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (folder / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines), "utf-8")
    return path


def error_of(path: Path) -> str:
    """The RecordingError message of reading the recording at `path` whole."""
    with pytest.raises(RecordingError) as caught:
        open_recording(path).load()
    return str(caught.value)


def test_reads_manifest_and_records(tmp_path: Path) -> None:
    recording = open_recording(write(tmp_path))
    manifest = recording.manifest
    assert (recording.name, manifest.task_kind, manifest.records) == ("toy", "math", 1)
    assert manifest.model_names == MODELS
    assert manifest.models[1].output_cost_per_token == pytest.approx(4e-6)
    [record] = recording.load()
    assert (record.id, record.prompt, record.reference) == ("q1", "What is 2 + 2?", {"answer": "4"})
    assert record.public == {"choices": ("3", "4")}
    big = record.samples["big"][0]
    assert (big.text, big.answer, big.correct) == ("The answer is 4.", "4", True)
    assert big.cost_usd == 0.002
    assert (big.tokens_in, big.tokens_out, big.latency_s, big.confidence) == (10, 5, 0.5, None)


def test_either_file_of_the_pair_opens_it(tmp_path: Path) -> None:
    manifest_path = write(tmp_path)
    by_jsonl = open_recording(tmp_path / "toy.jsonl")
    assert by_jsonl == open_recording(manifest_path)
    assert by_jsonl.records_path == tmp_path / "toy.jsonl"


def test_records_stream_lazily(tmp_path: Path) -> None:
    lines = [json.dumps(a_record("q1")), json.dumps(a_record("q2", prompt=7))]
    stream = open_recording(write(tmp_path, lines=lines)).records()
    assert next(stream).id == "q1"
    with pytest.raises(RecordingError, match="line 2: field 'prompt'"):
        next(stream)


def test_nullable_fields_may_be_absent_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    sample = {"text": "4", "correct": False, "cost_usd": 0}
    record = a_record(samples={m: [sample] for m in MODELS})
    del record["public"]
    lines = ["", json.dumps(record), "   "]
    [parsed] = open_recording(write(tmp_path, lines=lines, manifest=a_manifest())).load()
    assert parsed.public is None
    assert parsed.samples["small"][0].answer is None
    assert parsed.samples["small"][0].tokens_in is None


def test_sample_cycles_through_the_recorded_samples(tmp_path: Path) -> None:
    texts = ["a", "b", "c"]
    record = a_record(samples={m: [a_sample(text=t) for t in texts] for m in MODELS})
    [parsed] = open_recording(write(tmp_path, records=[record])).load()
    assert [parsed.sample("big", i).text for i in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]


def test_visible_view_never_carries_labels(tmp_path: Path) -> None:
    secret = "SECRET-LABEL"
    sample = a_sample(text="visible text", answer=secret)
    record = a_record(reference={"answer": secret}, samples={m: [sample] for m in MODELS})
    [parsed] = open_recording(write(tmp_path, records=[record])).load()
    view = parsed.visible()
    assert [f.name for f in dataclasses.fields(VisibleRecord)] == ["prompt", "public", "texts"]
    assert view.texts == {"small": ("visible text",), "big": ("visible text",)}
    assert (view.prompt, view.public) == (parsed.prompt, parsed.public)
    assert secret not in repr(view)
    assert "correct" not in repr(view) and "True" not in repr(view)


def test_records_are_read_only(tmp_path: Path) -> None:
    [parsed] = open_recording(write(tmp_path)).load()
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        parsed.public["choices"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        parsed.samples["small"] = ()  # type: ignore[index]


def test_json_task_kind_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, manifest=a_manifest(task_kind="json"))
    assert open_recording(path).manifest.task_kind == "json"


def test_find_recordings_in_folders_and_files(tmp_path: Path) -> None:
    for name in ("b-suite", "a-suite", "c-suite"):
        write(tmp_path, name)
    (tmp_path / "traces.jsonl").write_text("{}\n", "utf-8")
    other = tmp_path / "more"
    other.mkdir()
    write(other, "z-suite")
    found = find_recordings([other / "z-suite.jsonl", tmp_path, tmp_path / "a-suite.jsonl"])
    assert [r.manifest_path.name for r in found] == [
        "z-suite.manifest.json",
        "a-suite.manifest.json",
        "b-suite.manifest.json",
        "c-suite.manifest.json",
    ]


def test_find_recordings_in_an_empty_folder(tmp_path: Path) -> None:
    assert find_recordings([tmp_path]) == []


def test_missing_or_unrelated_files(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "toy.jsonl").unlink()
    with pytest.raises(RecordingError, match=r"toy.manifest.json: its pair toy.jsonl is missing"):
        open_recording(tmp_path / "toy.manifest.json")
    (tmp_path / "notes.txt").write_text("x", "utf-8")
    with pytest.raises(RecordingError, match=r"notes\.txt: not a recording file"):
        open_recording(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError):
        open_recording(tmp_path / "absent.jsonl")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change of a record that sets (or, for ..., deletes) the field at a dotted path."""
    steps = [int(s) if s.isdigit() else s for s in re.split(r"\.|\[|\]\.?", path) if s]

    def change(record: dict[str, Any]) -> None:
        *parents, last = steps
        node: Any = record
        for step in parents:
            node = node[step]
        if value is ...:
            del node[last]
        else:
            node[last] = value

    return change


RECORD_ERRORS = [
    ("samples.big[0].correct", "yes", 'must be a boolean, got "yes"'),
    ("samples.big[0].correct", ..., "is missing (expected a boolean)"),
    ("id", 12, "must be a string, got 12"),
    ("prompt", ..., "is missing (expected a string)"),
    ("reference", ..., "is missing (expected any JSON value)"),
    ("public", ["a"], 'must be an object, got ["a"]'),
    ("samples", [], "must be an object, got []"),
    ("samples.small", ..., "is missing (expected a non-empty array)"),
    ("samples.small", [], "must be a non-empty array, got []"),
    ("samples.small[0]", "text", 'must be an object, got "text"'),
    ("samples.small[0].text", None, "must be a string, got null"),
    ("samples.small[0].answer", 4, "must be a string, got 4"),
    ("samples.small[0].tokens_in", -1, "must be a non-negative integer, got -1"),
    ("samples.small[0].tokens_out", 2.5, "must be a non-negative integer, got 2.5"),
    ("samples.small[0].tokens_out", True, "must be a non-negative integer, got true"),
    ("samples.small[0].cost_usd", ..., "is missing (expected a non-negative finite number)"),
    ("samples.small[0].cost_usd", -0.5, "must be a non-negative finite number, got -0.5"),
    ("samples.small[0].cost_usd", math.inf, "must be a non-negative finite number, got Infinity"),
    ("samples.small[0].latency_s", "1s", 'must be a non-negative finite number, got "1s"'),
    ("samples.small[0].confidence", "high", 'must be a finite number, got "high"'),
    ("samples.huge", [a_sample()], "is not a model of suite.manifest.json"),
]


@pytest.mark.parametrize(("path", "value", "problem"), RECORD_ERRORS)
def test_record_errors_name_file_line_and_field(
    tmp_path: Path, path: str, value: Any, problem: str
) -> None:
    broken = a_record("q2")
    _set(path, value)(broken)
    write(tmp_path, "suite", records=[a_record("q1"), broken, a_record("q3")])
    message = error_of(tmp_path / "suite.jsonl")
    assert message == f"suite.jsonl line 2: field '{path}' {problem}"


def test_confidence_may_be_negative(tmp_path: Path) -> None:
    record = a_record(samples={m: [a_sample(confidence=-2.5)] for m in MODELS})
    [parsed] = open_recording(write(tmp_path, records=[record])).load()
    assert parsed.samples["big"][0].confidence == -2.5


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            '{"id": "q2",',
            "not valid JSON (Expecting property name enclosed in double quotes, column 13)",
        ),
        ("[1, 2]", "the JSON value must be an object, got [1, 2]"),
        (json.dumps(a_record("q1")), "field 'id' repeats \"q1\" (first on line 1)"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    write(tmp_path, lines=[json.dumps(a_record("q1")), line])
    assert error_of(tmp_path / "toy.jsonl") == f"toy.jsonl line 2: {problem}"


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    write(tmp_path, records=[a_record("q1"), a_record("q2")])
    with (tmp_path / "toy.jsonl").open("ab") as handle:
        handle.write(b'{"id": "\xff"}\n')
    manifest = a_manifest(records=3)
    (tmp_path / "toy.manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert error_of(tmp_path / "toy.jsonl").startswith("toy.jsonl line 3: not UTF-8")


def test_record_count_must_match_the_manifest(tmp_path: Path) -> None:
    records = [a_record("q1"), a_record("q2")]
    write(tmp_path, manifest=a_manifest(records=1), records=records)
    assert error_of(tmp_path / "toy.jsonl") == (
        "toy.jsonl line 2: one record more than field 'records' of toy.manifest.json declares (1)"
    )
    write(tmp_path, manifest=a_manifest(records=3), records=records)
    assert error_of(tmp_path / "toy.jsonl") == (
        "toy.jsonl line 2: the file ends after 2 records, but field 'records' of "
        "toy.manifest.json declares 3"
    )


def test_a_partial_recording_reads_the_records_it_counts(tmp_path: Path) -> None:
    records = [a_record("q1"), a_record("q2")]  # the second is being appended by the recorder
    write(tmp_path, manifest={**a_manifest(records=1), "partial": True}, records=records)
    recording = find_recordings([tmp_path / "toy.jsonl"])[0]
    assert recording.manifest.partial and [r.id for r in recording.records()] == ["q1"]
    write(tmp_path, manifest={**a_manifest(records=1), "partial": "no"}, records=records[:1])
    assert "partial" in error_of(tmp_path / "toy.jsonl")


def _line_of(text: str, needle: str, occurrence: int = 0) -> int:
    """1-based line of the `occurrence`-th appearance of `needle` in `text`."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    return text.count("\n", 0, at) + 1


MANIFEST_ERRORS = [
    (
        "format",
        "cascade-recordings/2",
        'must be "cascade-recordings/1", got "cascade-recordings/2"',
        '"format"',
        0,
    ),
    (
        "task_kind",
        "prose",
        'must be one of code|math|choice|qa|json, got "prose"',
        '"task_kind"',
        0,
    ),
    ("records", -3, "must be a non-negative integer, got -3", '"records"', 0),
    ("models", [], "must be a non-empty array, got []", '"models"', 0),
    (
        "models[1].input_cost_per_token",
        "cheap",
        'must be a non-negative finite number, got "cheap"',
        '"input_cost_per_token"',
        1,
    ),
    ("models[1].name", "small", 'repeats the name "small"', '"name": "small"', 1),
    ("models[0].price_note", ..., "is missing (expected a string)", "{", 1),
    ("notes", ..., "is missing (expected a string)", "{", 0),
]


@pytest.mark.parametrize(("path", "value", "problem", "needle", "occurrence"), MANIFEST_ERRORS)
def test_manifest_errors_name_file_line_and_field(
    tmp_path: Path, path: str, value: Any, problem: str, needle: str, occurrence: int
) -> None:
    manifest = copy.deepcopy(a_manifest())
    _set(path, value)(manifest)
    write(tmp_path, "m", manifest=manifest)
    text = (tmp_path / "m.manifest.json").read_text("utf-8")
    with pytest.raises(RecordingError) as caught:
        open_recording(tmp_path / "m.jsonl")
    line = _line_of(text, needle, occurrence)
    assert str(caught.value) == f"m.manifest.json line {line}: field '{path}' {problem}"


def test_manifest_that_is_not_json(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "toy.manifest.json").write_text('{\n "format": "x",\n "name": \n}', "utf-8")
    with pytest.raises(RecordingError, match=r"^toy.manifest.json line 4: not valid JSON"):
        open_recording(tmp_path / "toy.manifest.json")


def _readme_table(readme: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(recording, model) -> (accuracy of sample 0, mean cost) from the README's table."""
    row = re.compile(r"^\| (\S+) \| (\S+) \| ([0-9.]+) \| ([0-9.e+-]+) \|$")
    matches = (row.match(line) for line in readme.read_text("utf-8").splitlines())
    return {(m[1], m[2]): (float(m[3]), float(m[4])) for m in matches if m}


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared recordings are not next to the repo")
def test_shared_recordings_match_their_readme() -> None:
    table = _readme_table(SHARED / "README.md")
    seen: dict[tuple[str, str], tuple[float, float]] = {}
    for recording in find_recordings([SHARED]):
        records: list[Record] = recording.load()
        assert len(records) == recording.manifest.records
        for model in recording.manifest.model_names:
            first = [r.samples[model][0] for r in records]
            accuracy = sum(s.correct for s in first) / len(first)
            cost = sum(s.cost_usd for s in first) / len(first)
            seen[recording.name, model] = (round(accuracy, 3), float(f"{cost:.2e}"))
    assert seen == table
