"""The tuning benchmarks run end to end on small inputs: bagging and the hindsight frontier."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import bagging, frontier
from tests.benchmarks.replay_builders import record, write


def test_bagging_benchmark_prints_both_methods(capsys: pytest.CaptureFixture[str]) -> None:
    bagging.main(["--reps", "2", "--sizes", "40"])
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if line.startswith("| synthetic, n=40")]
    assert [r.split(" | ")[1] for r in rows] == ["plain", "bagged"]


def _votes(folder: Path) -> Path:
    """Math prompts: the small model's 3 samples agree exactly when it is right; the middle
    model is always right at a tenth of the big one's price."""
    recs = []
    for i in range(40):
        easy = i % 2 == 0
        small = (
            [("The answer is 5", True, 1e-6)] * 3
            if easy
            else [(f"The answer is {k}", False, 1e-6) for k in (1, 2, 3)]
        )
        mid, big = [("The answer is 5", True, 1e-5)] * 3, [("The answer is 5", True, 1e-4)]
        recs.append(record(f"q{i}", f"What is {i}?", {"small": small, "mid": mid, "big": big}))
    return write(folder, recs)


def test_frontier_finds_the_samples_and_tiers_that_meet_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frontier.main([str(_votes(tmp_path))])
    row = capsys.readouterr().out.splitlines()[-1]
    # three small samples vote the easy half through; one middle sample answers the rest
    assert row.startswith("| toy | math | 3 | 3, 1, 1 | 100.0% |"), row
