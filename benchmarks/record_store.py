"""The recorder's output: a recording (``NAME.manifest.json`` + ``NAME.jsonl``) grown in place.

Complete records are appended one line at a time (flushed and synced), then the manifest is
replaced atomically with the new ``records`` count, so that the pair is a valid recording after
every task. The manifest also carries ``partial`` (true until every task of the suite is in; the
reader then takes the first ``records`` lines, as a record may be in the middle of being added)
and ``settings`` (what a resumed run must match, which the reader ignores). On opening, a
torn last line (a run killed mid-write) is dropped and the count is repaired; records already
there are kept and never run again, on this machine or another.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.suites import Graded, Suite, Task
from cascade.recordings import FORMAT, open_recording

__all__ = ["ModelSpec", "RecordError", "Regraded", "Store"]


class RecordError(RuntimeError):
    """The output on disk cannot be continued: other settings, or a task that changed."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model to record: its litellm name, samples per task and declared per-token prices."""

    name: str
    samples: int
    input_cost_per_token: float
    output_cost_per_token: float
    price_note: str

    def cost(self, tokens_in: int | None, tokens_out: int | None) -> float:
        """The declared cost of a call."""
        return (tokens_in or 0) * self.input_cost_per_token + (
            tokens_out or 0
        ) * self.output_cost_per_token


@dataclass(slots=True)
class Regraded:
    """What a regrade changed: samples graded again, and verdicts that flipped each way."""

    samples: int = 0
    now_right: int = 0
    now_wrong: int = 0

    def count(self, before: bool, after: bool) -> None:
        """Count one sample graded ``before`` and now ``after``."""
        self.samples += 1
        self.now_right += after and not before
        self.now_wrong += before and not after


class Store:
    """One suite's recording on disk, read on open and extended record by record."""

    def __init__(
        self,
        directory: Path,
        suite: Suite,
        tasks: Sequence[Task],
        models: Sequence[ModelSpec],
        settings: Mapping[str, Any],
        notes: str,
    ) -> None:
        self.name = f"local-{suite.name}"
        self.suite, self.models, self.notes = suite, tuple(models), notes
        self.settings = dict(settings)
        self.order = {task.id: i for i, task in enumerate(tasks)}
        self.prompts = {task.id: task.prompt for task in tasks}
        self.manifest_path = directory / f"{self.name}.manifest.json"
        self.records_path = directory / f"{self.name}.jsonl"
        self.done: dict[str, str] = {}

    @property
    def complete(self) -> bool:
        """Whether every task of the suite has its record."""
        return len(self.done) == len(self.order)

    def open(self) -> set[str]:
        """Read what is already recorded (repairing a torn end); the ids of complete records."""
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        for path in (self.manifest_path, self.records_path):
            for leftover in path.parent.glob(f".{path.name}.*.tmp"):
                leftover.unlink(missing_ok=True)
        if self.manifest_path.exists():
            self._check_settings(json.loads(self.manifest_path.read_text("utf-8")))
        lines = self._read_lines()
        for line in lines:
            record = json.loads(line)
            self._check_record(record)
            self.done.setdefault(record["id"], line)
        if len(self.done) != len(lines):
            _replace(self.records_path, "".join(line + "\n" for line in self.done.values()))
        self._write_manifest()
        return set(self.done)

    def append(self, record: Mapping[str, Any]) -> None:
        """Add one complete record: its line first, then the manifest that counts it."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        with self.records_path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        self.done[str(record["id"])] = line
        self._write_manifest()

    def regrade(self, tasks: Mapping[str, Task], grade: Callable[[Task, str], Graded]) -> Regraded:
        """Grade every recorded sample again from its text with ``grade`` and take each task's
        reference as ``tasks`` now has it (the order of the records and everything a model
        gave are kept); one atomic rewrite. How many samples changed verdict, each way."""
        counts = Regraded()
        lines: dict[str, str] = {}
        for rid, line in self.done.items():
            record = json.loads(line)
            task = tasks[rid]
            samples: dict[str, list[dict[str, Any]]] = {}
            for model, drawn in record["samples"].items():
                samples[model] = []
                for sample in drawn:
                    graded = grade(task, sample["text"])
                    counts.count(bool(sample["correct"]), graded.correct)
                    samples[model].append(
                        {**sample, "answer": graded.answer, "correct": graded.correct}
                    )
            new = {**record, **task.as_json(), "samples": samples}
            lines[rid] = json.dumps(new, ensure_ascii=False, separators=(",", ":"))
        self.done = lines
        _replace(self.records_path, "".join(line + "\n" for line in self.done.values()))
        self._write_manifest()
        return counts

    def finalize(self) -> Path:
        """Rewrite the records in the suite's task order and check the pair with the reader."""
        lines = sorted(self.done.values(), key=lambda line: self.order[json.loads(line)["id"]])
        _replace(self.records_path, "".join(line + "\n" for line in lines))
        self._write_manifest()
        open_recording(self.manifest_path).load()
        return self.manifest_path

    def _read_lines(self) -> list[str]:
        if not self.records_path.exists():
            self.records_path.touch()
            return []
        raw = self.records_path.read_bytes()
        lines = raw.split(b"\n")
        tail = lines.pop()  # what follows the last newline: a line cut short, or nothing
        if tail.strip():
            try:
                json.loads(tail.decode("utf-8"))  # a kill may cut a character in two
                lines.append(tail)
            except ValueError:
                pass
        kept = [line.decode("utf-8") for line in lines if line.strip()]
        if "".join(line + "\n" for line in kept).encode("utf-8") != raw:
            _replace(self.records_path, "".join(line + "\n" for line in kept))
        return kept

    def _check_settings(self, manifest: Mapping[str, Any]) -> None:
        found = manifest.get("settings")
        if found != self.settings:
            raise RecordError(
                f"{self.manifest_path} was recorded with other settings ({json.dumps(found)}); "
                f"this run has {json.dumps(self.settings)}. Use another --out directory, or "
                "remove that recording to start it again."
            )

    def _check_record(self, record: Mapping[str, Any]) -> None:
        where = f"{self.records_path.name}: record {record.get('id')!r}"
        if self.prompts.get(record.get("id", "")) != record.get("prompt"):
            raise RecordError(
                f"{where} is not a task of the suite as generated now (its id or "
                "prompt changed); record into another --out directory"
            )
        samples = record.get("samples", {})
        for model in self.models:
            if len(samples.get(model.name, [])) != model.samples:
                raise RecordError(f"{where} lacks {model.samples} samples of {model.name}")

    def _write_manifest(self) -> None:
        manifest = {
            "format": FORMAT,
            "name": self.name,
            "suite": self.suite.name,
            "task_kind": self.suite.task_kind,
            "split": "all",
            "source": self.suite.source,
            "license": self.suite.license,
            "models": [
                {
                    "name": m.name,
                    "input_cost_per_token": m.input_cost_per_token,
                    "output_cost_per_token": m.output_cost_per_token,
                    "price_note": m.price_note,
                }
                for m in self.models
            ],
            "records": len(self.done),
            "notes": self.notes,
            "partial": not self.complete,
            "settings": self.settings,
        }
        _replace(self.manifest_path, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a synced temporary file, then a rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
