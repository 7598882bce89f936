"""Read recorded model answers in the format ``cascade-recordings/1``.

A recording is a pair of files: ``NAME.manifest.json`` (what was run, models cheapest first with
their prices) and ``NAME.jsonl`` (one prompt a line, with every model's samples). Records are
parsed and checked lazily, one line at a time; any malformed input raises ``RecordingError`` naming
the file, the line and the field.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal, cast, get_args

from cascade.recording_fields import (
    Fields,
    Json,
    Origin,
    RecordingError,
    freeze,
    parse_json,
    value_lines,
)

__all__ = [
    "FORMAT",
    "Json",
    "Manifest",
    "ModelInfo",
    "Record",
    "Recording",
    "RecordingError",
    "Sample",
    "TaskKind",
    "VisibleRecord",
    "find_recordings",
    "open_recording",
]

FORMAT = "cascade-recordings/1"
TaskKind = Literal["code", "math", "choice", "qa", "json"]
MANIFEST_SUFFIX = ".manifest.json"
RECORDS_SUFFIX = ".jsonl"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model of a recording with its price per token in USD."""

    name: str
    input_cost_per_token: float
    output_cost_per_token: float
    price_note: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a recording holds: suite, task kind, split, provenance and models cheapest first."""

    format: str
    name: str
    suite: str
    task_kind: TaskKind
    split: str
    source: str
    license: str
    models: tuple[ModelInfo, ...]
    records: int
    notes: str
    partial: bool = False  # optional: still being recorded (records past the count are ignored)

    @property
    def model_names(self) -> tuple[str, ...]:
        """The model names, cheapest first."""
        return tuple(model.name for model in self.models)


@dataclass(frozen=True, slots=True)
class Sample:
    """One recorded answer of one model, with its label and cost."""

    text: str
    answer: str | None
    correct: bool
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float
    latency_s: float | None
    confidence: float | None


@dataclass(frozen=True, slots=True)
class VisibleRecord:
    """What a verifier may see of a record: prompt, public inputs and sample texts, no labels."""

    prompt: str
    public: Mapping[str, Json] | None
    texts: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Record:
    """One prompt with its ground truth and every model's recorded samples."""

    id: str
    prompt: str
    reference: Json
    public: Mapping[str, Json] | None
    samples: Mapping[str, tuple[Sample, ...]]

    def sample(self, model: str, index: int = 0) -> Sample:
        """The model's sample `index`, cycling through the recorded samples in order."""
        recorded = self.samples[model]
        return recorded[index % len(recorded)]

    def visible(self) -> VisibleRecord:
        """The verifier-visible view: never the reference, answers or correctness labels."""
        texts = {model: tuple(s.text for s in samples) for model, samples in self.samples.items()}
        return VisibleRecord(self.prompt, self.public, MappingProxyType(texts))


@dataclass(frozen=True, slots=True)
class Recording:
    """A checked manifest and the path of its records, which are read on demand."""

    manifest: Manifest
    manifest_path: Path
    records_path: Path

    @property
    def name(self) -> str:
        """The recording's name as given in its manifest."""
        return self.manifest.name

    def records(self) -> Iterator[Record]:
        """Parse and check the records lazily, one line at a time."""
        return _read_records(self)

    def load(self) -> list[Record]:
        """All records in a list (reads the whole file)."""
        return list(self.records())


def open_recording(path: str | os.PathLike[str]) -> Recording:
    """Open the recording that `path` (its manifest or JSONL) belongs to; checks the manifest."""
    given = Path(path)
    if not given.exists():
        raise FileNotFoundError(f"no such recording file: {given}")
    stem = _stem(given)
    if stem is None:
        raise RecordingError(f"{given.name}: not a recording file (*{MANIFEST_SUFFIX} or *.jsonl)")
    manifest_path = given.with_name(stem + MANIFEST_SUFFIX)
    records_path = given.with_name(stem + RECORDS_SUFFIX)
    for part in (manifest_path, records_path):
        if not part.is_file():
            raise RecordingError(f"{given.name}: its pair {part.name} is missing")
    return Recording(_read_manifest(manifest_path), manifest_path, records_path)


def find_recordings(paths: Iterable[str | os.PathLike[str]]) -> list[Recording]:
    """Open recordings given as files or folders (every recording in a folder, sorted by name)."""
    found: dict[Path, Recording] = {}
    for given in map(Path, paths):
        names = sorted(given.glob("*" + MANIFEST_SUFFIX)) if given.is_dir() else [given]
        for name in names:
            recording = open_recording(name)
            found.setdefault(recording.manifest_path.resolve(), recording)
    return list(found.values())


def _stem(path: Path) -> str | None:
    for suffix in (MANIFEST_SUFFIX, RECORDS_SUFFIX):
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return path.name[: -len(suffix)]
    return None


def _read_manifest(path: Path) -> Manifest:
    raw = path.read_bytes()
    data = parse_json(raw, Origin(path.name, 1))
    fields = Fields.of(data, Origin(path.name, 1, value_lines(raw.decode("utf-8"))))
    if fields.string("format") != FORMAT:
        fields.origin.expected("format", json.dumps(FORMAT), fields.raw("format"))
    models = tuple(
        _model(Fields.of(m, fields.origin, f"models[{i}]"))
        for i, m in enumerate(fields.array("models", nonempty=True))
    )
    names = [model.name for model in models]
    for index, name in enumerate(names):
        if name in names[:index]:
            fields.origin.fail(f"models[{index}].name", f"repeats the name {json.dumps(name)}")
    return Manifest(
        FORMAT,
        fields.string("name"),
        fields.string("suite"),
        _task_kind(fields),
        fields.string("split"),
        fields.string("source"),
        fields.string("license"),
        models,
        fields.count("records"),
        fields.string("notes"),
        "partial" in fields.data and fields.boolean("partial"),
    )


def _model(fields: Fields) -> ModelInfo:
    return ModelInfo(
        fields.string("name"),
        fields.number("input_cost_per_token"),
        fields.number("output_cost_per_token"),
        fields.string("price_note"),
    )


def _task_kind(fields: Fields) -> TaskKind:
    kinds = get_args(TaskKind)
    kind = fields.string("task_kind")
    if kind not in kinds:
        fields.origin.expected("task_kind", "one of " + "|".join(kinds), kind)
    return cast(TaskKind, kind)


def _read_records(recording: Recording) -> Iterator[Record]:
    file, declared = recording.records_path.name, recording.manifest.records
    counted = f"field 'records' of {recording.manifest_path.name}"
    first_line: dict[str, int] = {}
    number = 0
    with recording.records_path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if len(first_line) == declared:
                if recording.manifest.partial:
                    break  # still being recorded: a record past the count is being added now
                raise RecordingError(
                    f"{file} line {number}: one record more than {counted} declares ({declared})"
                )
            origin = Origin(file, number)
            record = _record(parse_json(line.rstrip(b"\r\n"), origin), origin, recording)
            if record.id in first_line:
                first = first_line[record.id]
                origin.fail("id", f"repeats {json.dumps(record.id)} (first on line {first})")
            first_line[record.id] = number
            yield record
    if len(first_line) < declared:
        raise RecordingError(
            f"{file} line {number}: the file ends after {len(first_line)} "
            f"records, but {counted} declares {declared}"
        )


def _record(data: object, origin: Origin, recording: Recording) -> Record:
    fields = Fields.of(data, origin)
    head = fields.string("id"), fields.string("prompt"), freeze(fields.raw("reference"))
    public = None if fields.data.get("public") is None else freeze(fields.object("public").data)
    samples = fields.object("samples")
    models = recording.manifest.model_names
    for name in samples.data:
        if name not in models:
            origin.fail(samples.at(name), f"is not a model of {recording.manifest_path.name}")
    parsed = {
        name: tuple(
            _sample(Fields.of(s, origin, f"{samples.at(name)}[{i}]"))
            for i, s in enumerate(samples.array(name, nonempty=True))
        )
        for name in models
    }
    return Record(*head, cast("Mapping[str, Json] | None", public), MappingProxyType(parsed))


def _sample(fields: Fields) -> Sample:
    return Sample(
        text=fields.string("text"),
        answer=fields.optional_string("answer"),
        correct=fields.boolean("correct"),
        tokens_in=fields.optional_count("tokens_in"),
        tokens_out=fields.optional_count("tokens_out"),
        cost_usd=fields.number("cost_usd"),
        latency_s=fields.optional_number("latency_s"),
        confidence=fields.optional_number("confidence", signed=True),
    )


def halve(records: Iterable[Record], which: int, seed: int = 0) -> list[Record]:
    """One half (0 or 1) of the records, split by a seeded hash of their ids.

    Tuning on one half and evaluating on the other (``cascade tune --half 0``, then
    ``python -m benchmarks --half 1``) keeps the evaluation on prompts the tuner never saw.
    """
    if which not in (0, 1):
        raise ValueError(f"half must be 0 or 1, got {which}")
    return [r for r in records if _half_of(r.id, seed) == which]


def _half_of(record_id: str, seed: int) -> int:
    return hashlib.sha256(f"{seed}:{record_id}".encode()).digest()[0] % 2
