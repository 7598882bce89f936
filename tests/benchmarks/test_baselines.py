"""Baselines on recorded data: always one model, the oracle, and the vote cascade."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.baselines import (
    Outcome,
    VoteTable,
    always,
    oracle_outcome,
    vote_cascade,
    vote_table,
)
from tests.benchmarks.replay_builders import opened, record

MODELS = ["small", "mid", "big"]


def _votes(tmp_path: Path) -> VoteTable:
    _, records = opened(
        tmp_path,
        [
            # small: 3 of 5 say 4 (a strict majority), the first of them (sample 1) is correct
            record(
                "a",
                "2+2?",
                {
                    "small": [
                        ("The answer is 5", False, 1.0),
                        ("It is 4", True, 2.0),
                        ("4", True, 3.0),
                        ("so 4", True, 4.0),
                        ("no idea", False, 5.0),
                    ],
                    "mid": [("4", True, 10.0)],
                    "big": [("4", True, 100.0)],
                },
            ),
            # small: two samples cycled over five draws -> 3 x "7", 2 x "8"; mid: no answer at all
            record(
                "b",
                "3+4?",
                {
                    "small": [("7", False, 1.0), ("8", False, 1.0)],
                    "mid": [("I cannot say", False, 10.0)],
                    "big": [("7", True, 100.0)],
                },
            ),
        ],
    )
    return vote_table(records, MODELS, "math")


def test_the_vote_table_counts_majorities_over_cycled_samples(tmp_path: Path) -> None:
    table = _votes(tmp_path)
    assert table.share.tolist() == [[0.6, 1.0, 1.0], [0.6, 0.0, 1.0]]
    assert table.correct[:, 0].tolist() == [True, False]
    assert table.cost[:, 0].tolist() == [15.0, 5.0]


def test_the_vote_cascade_accepts_at_the_threshold_and_pays_every_tier(tmp_path: Path) -> None:
    table = _votes(tmp_path)
    low = vote_cascade(table, 0.6)
    assert low.correct.tolist() == [True, False]
    assert low.cost.tolist() == [15.0, 5.0]
    assert low.escalation_rate == 0.0
    high = vote_cascade(table, 0.8)
    assert high.reached is not None and high.reached.tolist() == [1, 2]
    assert high.correct.tolist() == [True, True]
    assert high.cost.tolist() == [15.0 + 50.0, 5.0 + 50.0 + 500.0]
    assert high.calls.tolist() == [10.0, 15.0]
    assert high.escalation_by_tier() == [1.0, 0.5]


def test_always_and_the_oracle(tmp_path: Path) -> None:
    _, records = opened(
        tmp_path,
        [
            record(
                "a",
                "a?",
                {
                    "small": [("x", False, 1.0)],
                    "mid": [("y", True, 2.0)],
                    "big": [("z", True, 9.0)],
                },
            ),
            record(
                "b",
                "b?",
                {"small": [("x", True, 1.0)], "mid": [("y", True, 2.0)], "big": [("z", True, 9.0)]},
            ),
            record(
                "c",
                "c?",
                {
                    "small": [("x", False, 1.0)],
                    "mid": [("y", False, 2.0)],
                    "big": [("z", False, 9.0)],
                },
            ),
        ],
    )
    each = always(records, MODELS)
    assert [each[m].point.accuracy for m in MODELS] == pytest.approx([1 / 3, 2 / 3, 2 / 3])
    best = oracle_outcome(records, MODELS)
    assert best.correct.tolist() == [True, True, False]
    assert best.cost.tolist() == [2.0, 1.0, 1.0]


def test_escalation_counts_only_the_prompts_that_reached_a_tier() -> None:
    reached = np.array([0, 1, 2, 2], dtype=np.intp)
    out = Outcome(np.ones(4, dtype=bool), np.ones(4), np.ones(4), reached, 3)
    assert out.escalation_rate == 0.75
    assert out.escalation_by_tier() == [0.75, pytest.approx(2 / 3)]
    assert Outcome(np.ones(1, dtype=bool), np.ones(1), np.ones(1)).escalation_by_tier() == []
