"""Each model's accuracy and model time in recordings: ``python -m benchmarks.recording_stats``.

    python -m benchmarks.recording_stats [PATH ...]   # default: the project's own recordings

For every recording and model: accuracy on the first sample (what the ``always:`` rows of
``python -m benchmarks`` use), the mean over all samples, the accuracy of each sample index, and
the model time the samples took. A model's samples of one task are timed as the batch they were
drawn in (the longest latency), except where the recording's samples were drawn one after
another (the first `DRAWN_ONE_BY_ONE` tasks of the project's recordings in run order), where
their latencies add up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.record import DEFAULT_OUT, DRAWN_ONE_BY_ONE
from benchmarks.record_run import run_order
from cascade.recordings import Record, Recording, find_recordings

__all__ = ["ModelStats", "main", "model_stats"]


@dataclass(frozen=True, slots=True)
class ModelStats:
    """One model's figures on one recording."""

    model: str
    tasks: int
    first: float  # accuracy of sample 0
    mean: float  # accuracy over all samples
    by_index: tuple[float, ...]  # accuracy of each sample index
    hours: float  # model time, batches counted once
    serial_hours: float  # the part of it in tasks whose samples ran one after another


def model_stats(recording: Recording, one_by_one: int = 0) -> list[ModelStats]:
    """Every model's figures on ``recording``; its first ``one_by_one`` tasks in run order drew
    their samples one call after another."""
    records = list(recording.records())
    serial = {record.id for record in run_order(records)[:one_by_one]}
    return [_stats(model.name, records, serial) for model in recording.manifest.models]


def _stats(model: str, records: Sequence[Record], serial: set[str]) -> ModelStats:
    drawn = [r.samples[model] for r in records]
    count = min(len(samples) for samples in drawn)
    by_index = tuple(sum(s[i].correct for s in drawn) / len(drawn) for i in range(count))
    batched = one_by_one = 0.0
    for record, samples in zip(records, drawn, strict=True):
        latencies = [s.latency_s or 0.0 for s in samples]
        if record.id in serial:
            one_by_one += sum(latencies)
        else:
            batched += max(latencies)
    every = [s.correct for samples in drawn for s in samples]
    mean = sum(every) / len(every)
    hours = (batched + one_by_one) / 3600
    return ModelStats(model, len(drawn), by_index[0], mean, by_index, hours, one_by_one / 3600)


def main(argv: Sequence[str] | None = None) -> int:
    """Print a table of every model's figures on each recording."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recording_stats")
    parser.add_argument("paths", nargs="*", default=[str(DEFAULT_OUT)], help="recordings")
    args = parser.parse_args(argv)
    own = DEFAULT_OUT.resolve()
    total = serial_total = 0.0
    print("| recording | model | tasks | sample 0 | all samples | by sample index | model h |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for recording in find_recordings(args.paths):
        is_own = recording.manifest_path.parent.resolve() == own
        serial = DRAWN_ONE_BY_ONE.get(recording.manifest.suite, 0) if is_own else 0
        for s in model_stats(recording, serial):
            total += s.hours
            serial_total += s.serial_hours
            index = " / ".join(f"{a:.3f}" for a in s.by_index)
            print(
                f"| {recording.manifest.name} | {s.model} | {s.tasks} | {s.first:.3f} | "
                f"{s.mean:.3f} | {index} | {s.hours:.2f} |"
            )
    print(
        f"\nmodel time in all: {total:.2f} h, {serial_total:.2f} h of it in tasks whose samples "
        "were drawn one after another",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
