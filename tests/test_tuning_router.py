"""The pre-router: cheap features, leave-one-out history, fitting, plain-data form, tuning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cascade.tuning.features import (
    FEATURE_NAMES,
    history,
    prompt_features,
    training_history,
    word_sets,
)
from cascade.tuning.router import Router, RouterChoice, tune_router
from cascade.tuning.search import Objective, cross_validate
from cascade.tuning.simulate import Table

VOCAB = [a + b + c for a in "bdfgklmnprst" for b in "aeiou" for c in "nrstx"]  # 300 words
MARK = "How many percent of the 12 + 7 items remain? "


def synthetic(n: int, predictive: bool, seed: int = 0) -> tuple[list[str], Table]:
    """Three tiers costing 1, 3, 20; the cheap tier fails on 40% of prompts.

    Predictive: exactly the prompts carrying `MARK` fail (3% label noise). Otherwise the mark is
    independent of failure. The cheap tier's score is only weakly informative either way.
    """
    rng = np.random.default_rng(seed)
    hard = rng.random(n) < 0.4
    marked = hard if predictive else rng.random(n) < 0.4
    prompts = [(MARK if m else "") + " ".join(rng.choice(VOCAB, 12)) for m in marked]
    cheap_ok = ~hard ^ (rng.random(n) < 0.03)
    correct = np.column_stack([cheap_ok, rng.random(n) < 0.8, rng.random(n) < 0.97])
    scores = np.column_stack([
        np.clip(0.3 * correct[:, 0] + 0.7 * rng.random(n), 0, 1),
        np.clip(0.5 * correct[:, 1] + 0.5 * rng.random(n), 0, 1),
        rng.random(n),
    ])  # fmt: skip
    return prompts, Table(scores, correct, np.tile([1.0, 3.0, 20.0], (n, 1)))


def tuned(predictive: bool, n: int = 200, seed: int = 0) -> RouterChoice:
    prompts, table = synthetic(n, predictive)
    return tune_router(prompts, table, Objective(0.95), folds=3, seed=seed, taus=8)


@pytest.fixture(scope="module")
def helpful() -> RouterChoice:
    return tuned(predictive=True)


def test_router_turns_on_and_lowers_cost_when_a_feature_predicts_failure(
    helpful: RouterChoice,
) -> None:
    assert helpful.enabled
    assert helpful.routed.cost < 0.8 * helpful.baseline.cost
    assert helpful.routed.accuracy >= helpful.quality_floor
    assert helpful.saving_ci[1] < 0
    assert np.isfinite(helpful.tau) and helpful.start_tier == 1
    assert 0.25 < helpful.routed_share < 0.55
    assert helpful.thresholds is helpful.routed_thresholds


def test_router_stays_off_when_nothing_predicts_failure() -> None:
    choice = tuned(predictive=False)
    assert not choice.enabled
    assert choice.thresholds is choice.baseline_thresholds


def test_baseline_is_cross_validation_of_thresholds_alone(helpful: RouterChoice) -> None:
    table = synthetic(200, predictive=True)[1]
    plain = cross_validate(table, Objective(0.95), folds=3, seed=0)
    assert helpful.baseline.accuracy == plain.accuracy
    assert helpful.baseline.cost == plain.cost


def test_router_ranks_marked_prompts_as_likely_failures() -> None:
    prompts, table = synthetic(200, predictive=True)
    router = Router.fit(prompts, ~table.correct[:, 0])
    p = router.predict_proba([MARK + " ".join(VOCAB[:12]), " ".join(VOCAB[:12])])
    assert p[0] > 0.8 > 0.2 > p[1]


def test_history_never_counts_a_training_prompts_own_label() -> None:
    prompts, _ = synthetic(60, predictive=False)
    sets = word_sets(prompts)
    failed = np.random.default_rng(1).random(60) < 0.5
    kept = np.arange(60)
    before = training_history(sets, kept, failed, k=3)
    for i in range(0, 60, 7):
        flipped = failed.copy()
        flipped[i] = ~flipped[i]
        assert training_history(sets, kept, flipped, k=3)[i] == before[i]
    # without leaving it out, a prompt's nearest neighbour is itself: its own label leaks
    assert np.array_equal(history(sets, sets, failed, k=1), failed.astype(float))


def test_history_leaves_out_only_remembered_prompts() -> None:
    prompts, _ = synthetic(40, predictive=False)
    sets = word_sets(prompts)
    failed = np.arange(40) % 2 == 0
    kept = np.arange(0, 40, 2)  # remembered: the failures only
    assert np.all(training_history(sets, kept, failed, k=5) == 1.0)


def test_prompt_features_mark_code_math_and_questions() -> None:
    rows = prompt_features(
        ["```python\ndef f(x):\n    return x\n```", "How many apples cost $3 each?", ""], buckets=4
    )
    col = {name: j for j, name in enumerate(FEATURE_NAMES)}
    assert rows.shape == (3, len(FEATURE_NAMES) + 4)
    assert rows[0, col["log_code"]] > 0 and rows[1, col["log_code"]] == 0
    assert rows[1, col["log_math_words"]] > 0 and rows[1, col["log_questions"]] > 0
    assert np.all(rows[2] == 0)
    assert np.allclose(rows[:2, len(FEATURE_NAMES) :].sum(axis=1), 1.0)


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, (bool, int, float, str))


def test_router_round_trips_through_plain_data_and_json(tmp_path: Path) -> None:
    prompts, table = synthetic(120, predictive=True)
    router = Router.fit(prompts, ~table.correct[:, 0], buckets=3, remember=50)
    data = router.to_dict()
    assert _plain(data) and len(data["memory_failed"]) == 50
    again = Router.from_dict(json.loads(json.dumps(data)))
    router.save(tmp_path / "r.json")
    loaded = Router.load(tmp_path / "r.json")
    probe = [*prompts[:20], "unseen prompt", ""]
    expected = router.predict_proba(probe)
    assert np.array_equal(again.predict_proba(probe), expected)
    assert np.array_equal(loaded.predict_proba(probe), expected)


def test_router_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="labels"):
        Router.fit(["a", "b"], [True])
    with pytest.raises(ValueError, match="format"):
        Router.from_dict({"format": "other"})
    with pytest.raises(ValueError, match="prompts"):
        tune_router(["a"], synthetic(5, True)[1], Objective())


def test_tuning_is_deterministic_for_a_seed() -> None:
    first, second = tuned(True, n=120, seed=3), tuned(True, n=120, seed=3)
    assert (first.enabled, first.tau, first.routed, first.baseline, first.saving_ci) == (
        second.enabled, second.tau, second.routed, second.baseline, second.saving_ci,
    )  # fmt: skip
    assert np.array_equal(first.routed_thresholds, second.routed_thresholds)
    assert np.array_equal(first.router.weights, second.router.weights)
