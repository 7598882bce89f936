"""``python -m benchmarks.recording_stats``: per-model accuracy and model time of recordings."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.record_run import run_order
from benchmarks.recording_stats import main, model_stats
from cascade.recordings import open_recording
from tests.benchmarks.replay_builders import record, write

MODELS = (("small", 1e-7, 2e-7), ("big", 1e-5, 2e-5))


def _timed(rec: dict[str, object], latencies: dict[str, list[float]]) -> dict[str, object]:
    samples = rec["samples"]
    assert isinstance(samples, dict)
    for model, times in latencies.items():
        for s, t in zip(samples[model], times, strict=True):
            s["latency_s"] = t
    return rec


def _recording(tmp_path: Path) -> Path:
    records = [
        _timed(
            record(
                f"q{i}",
                f"prompt {i}",
                {"small": [("a", i == 0), ("b", True)], "big": [("c", i != 2)]},
            ),
            {"small": [1.0 + i, 2.0], "big": [10.0]},
        )
        for i in range(4)
    ]
    return write(tmp_path, records, models=MODELS)


def test_accuracy_per_sample_index_and_model_time(tmp_path: Path) -> None:
    recording = open_recording(_recording(tmp_path))
    small, big = model_stats(recording)
    assert (small.tasks, small.first, small.mean, small.by_index) == (4, 0.25, 0.625, (0.25, 1.0))
    assert (big.first, big.mean, big.by_index) == (0.75, 0.75, (0.75,))
    # batched: each task counts its longest sample, 2 + 2 + 3 + 4 seconds
    assert small.hours == pytest.approx(11 / 3600) and small.serial_hours == 0.0
    assert big.hours == pytest.approx(40 / 3600)
    # the first task in run order drew its samples one after another: they add up
    first = run_order(list(recording.records()))[0]
    i = int(first.id[1:])
    serial = model_stats(recording, one_by_one=1)[0]
    assert serial.serial_hours == pytest.approx((1.0 + i + 2.0) / 3600)
    assert serial.hours == pytest.approx((11 - max(1.0 + i, 2.0) + 1.0 + i + 2.0) / 3600)


def test_the_command_prints_a_row_per_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(_recording(tmp_path))]) == 0
    captured = capsys.readouterr()
    assert "| toy | small | 4 | 0.250 | 0.625 | 0.250 / 1.000 | 0.00 |" in captured.out
    assert "| toy | big | 4 | 0.750 | 0.750 | 0.750 | 0.01 |" in captured.out
    assert "model time in all: 0.01 h, 0.00 h of it" in captured.err
