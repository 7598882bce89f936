"""Tests for benchmarks.metrics: points, hulls, APGR, ROC-AUC, bootstrap and the oracle."""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from benchmarks.metrics import (
    Hull,
    Point,
    accuracy_at,
    apgr,
    bootstrap_mean,
    cost_to_reach,
    costs_to_match,
    oracle,
    outcomes,
    percent_of_top,
    point,
    roc_auc,
    upper_hull,
)
from cascade.recordings import Record, Sample

unit = st.floats(0, 1, allow_nan=False, allow_subnormal=False)
money = st.floats(1e-6, 10, allow_nan=False, allow_subnormal=False)
points = st.lists(st.tuples(money, unit), min_size=1, max_size=12)


def a_record(outcomes_by_model: dict[str, list[tuple[bool, float]]]) -> Record:
    """A record whose models' samples have the given (correct, cost) pairs."""
    samples = {
        model: tuple(Sample("t", None, ok, None, None, cost, None, None) for ok, cost in pairs)
        for model, pairs in outcomes_by_model.items()
    }
    return Record("id", "prompt", None, None, MappingProxyType(samples))


def hull_of(pairs: list[tuple[float, float]]) -> Hull:
    """The upper hull of (cost, accuracy) pairs."""
    return upper_hull([c for c, _ in pairs], [a for _, a in pairs])


def test_point_and_percent_of_top() -> None:
    method = point([1, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])
    assert method == pytest.approx(Point(0.25, 0.75))
    assert percent_of_top(method, Point(1.0, 0.8)) == pytest.approx(Point(25.0, 93.75))
    assert all(math.isnan(v) for v in percent_of_top(method, Point(0.0, 0.0)))


def test_outcomes_builds_prompt_by_model_arrays_and_cycles_samples() -> None:
    records = [
        a_record({"s": [(True, 1.0), (False, 2.0)], "b": [(True, 5.0)]}),
        a_record({"s": [(False, 3.0)], "b": [(False, 6.0)]}),
    ]
    correct, cost = outcomes(records, ["s", "b"], sample=1)
    assert correct.tolist() == [[False, True], [False, False]]
    assert cost.tolist() == [[2.0, 5.0], [3.0, 6.0]]
    assert outcomes([], ["s", "b"])[0].shape == (0, 2)


def test_upper_hull_drops_dominated_and_collinear_points() -> None:
    pairs = [(3.0, 1.0), (0.0, 0.5), (2.0, 0.8), (1.0, 0.9), (4.0, 1.0), (1.0, 0.2), (0.5, 0.75)]
    hull = hull_of(pairs)
    assert hull.costs.tolist() == [0.0, 0.5, 1.0, 3.0]
    assert hull.accuracies.tolist() == [0.5, 0.75, 0.9, 1.0]
    collinear = hull_of([(0.0, 0.0), (1.0, 0.5), (2.0, 1.0)])
    assert collinear.costs.tolist() == [0.0, 2.0]


@given(points)
def test_hull_is_monotone_upper_and_holds_the_best_point(pairs: list[tuple[float, float]]) -> None:
    hull = hull_of(pairs)
    assert np.all(np.diff(hull.costs) > 0)
    assert np.all(np.diff(hull.accuracies) >= 0)
    best = max(a for _, a in pairs)
    cheapest_best = min(c for c, a in pairs if a == best)
    assert (hull.costs[-1], hull.accuracies[-1]) == (cheapest_best, best)
    assert set(zip(hull.costs.tolist(), hull.accuracies.tolist(), strict=True)) <= set(pairs)
    for cost, accuracy in pairs:
        if cost >= hull.costs[0]:
            assert accuracy <= accuracy_at(hull, cost) + 1e-9


def test_accuracy_at_interpolates_and_caps() -> None:
    hull = hull_of([(1.0, 0.5), (3.0, 0.9)])
    assert accuracy_at(hull, 2.0) == pytest.approx(0.7)
    assert accuracy_at(hull, 10.0) == 0.9
    assert math.isnan(accuracy_at(hull, 0.5))


def test_cost_to_reach_inverts_the_hull() -> None:
    hull = hull_of([(1.0, 0.5), (3.0, 0.9)])
    assert cost_to_reach(hull, 0.7) == pytest.approx(2.0)
    assert cost_to_reach(hull, 0.2) == 1.0
    assert cost_to_reach(hull, 0.95) == math.inf
    matched = costs_to_match(hull, top_accuracy=0.9)
    assert list(matched) == [0.95, 0.99, 1.0]
    assert matched[1.0] == 3.0
    assert matched[0.95] == pytest.approx(1.0 + 2.0 * (0.855 - 0.5) / 0.4)


@given(points, unit)
def test_reaching_cost_attains_the_target(pairs: list[tuple[float, float]], target: float) -> None:
    hull = hull_of(pairs)
    cost = cost_to_reach(hull, target)
    if math.isinf(cost):
        assert hull.accuracies[-1] < target
    else:
        assert accuracy_at(hull, cost) >= target - 1e-9


def test_apgr_landmarks() -> None:
    cheap, top = Point(1.0, 0.4), Point(5.0, 0.8)
    assert apgr([1.0], [0.4], cheap, top) == 0.0
    assert apgr([5.0], [0.8], cheap, top) == pytest.approx(0.5)
    assert apgr([1.0], [0.8], cheap, top) == pytest.approx(1.0)
    assert apgr([1.0], [0.9], cheap, top) == pytest.approx(1.25)
    # Reaching a1 halfway: a triangle then a rectangle, 0.25 / 2 + 0.5 = 0.75.
    assert apgr([3.0], [0.8], cheap, top) == pytest.approx(0.75)


def test_apgr_is_nan_without_a_gap() -> None:
    assert math.isnan(apgr([1.0], [0.5], Point(1.0, 0.5), Point(2.0, 0.5)))
    assert math.isnan(apgr([1.0], [0.5], Point(1.0, 0.6), Point(2.0, 0.5)))
    assert math.isnan(apgr([1.0], [0.5], Point(2.0, 0.4), Point(2.0, 0.5)))


@given(money, money, unit, st.floats(0.01, 1), st.lists(unit, max_size=8))
def test_apgr_of_the_mixture_line_is_one_half(
    c0: float, spread: float, a0: float, gap: float, mixes: list[float]
) -> None:
    assume(a0 + gap <= 1)
    c1, a1 = c0 + spread, a0 + gap
    ts = [*mixes, 1.0]
    costs = [c0 + t * (c1 - c0) for t in ts]
    accuracies = [a0 + t * (a1 - a0) for t in ts]
    assert apgr(costs, accuracies, Point(c0, a0), Point(c1, a1)) == pytest.approx(0.5, abs=1e-9)


@given(points, st.tuples(money, unit))
def test_apgr_never_drops_when_a_point_is_added(
    pairs: list[tuple[float, float]], extra: tuple[float, float]
) -> None:
    cheap, top = Point(0.5, 0.2), Point(8.0, 0.9)

    def score(ps: list[tuple[float, float]]) -> float:
        return apgr([c for c, _ in ps], [a for _, a in ps], cheap, top)

    assert score([*pairs, extra]) >= score(pairs) - 1e-12


def test_roc_auc_examples() -> None:
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert roc_auc([1, 2, 3], [False, True, True]) == 1.0
    assert roc_auc([3, 2, 1], [0, 1, 1]) == 0.0
    assert roc_auc([5, 5, 5, 5], [0, 1, 0, 1]) == 0.5
    assert math.isnan(roc_auc([0.1, 0.2], [1, 1]))
    with pytest.raises(ValueError, match="labels"):
        roc_auc([0.1, 0.2], [0, 2])


@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=1, max_size=30))
def test_roc_auc_matches_a_pair_count(rows: list[tuple[int, bool]]) -> None:
    positives = [s for s, y in rows if y]
    negatives = [s for s, y in rows if not y]
    auc = roc_auc([s for s, _ in rows], [y for _, y in rows])
    if not positives or not negatives:
        assert math.isnan(auc)
        return
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert auc == pytest.approx(wins / (len(positives) * len(negatives)))


def test_bootstrap_is_deterministic_per_seed() -> None:
    values = np.arange(50) % 3 == 0
    first = bootstrap_mean(values, seed=7)
    assert bootstrap_mean(values, seed=7) == first
    assert bootstrap_mean(values, seed=np.random.default_rng(7)) == first
    assert bootstrap_mean(values, seed=8) != first
    assert first.low < first.mean < first.high
    assert bootstrap_mean([2.5] * 10) == (2.5, 2.5, 2.5)
    with pytest.raises(ValueError, match="empty"):
        bootstrap_mean([])


def test_bootstrap_of_many_values_resamples_in_blocks() -> None:
    values = np.random.default_rng(0).random(100_000)
    interval = bootstrap_mean(values, seed=1, resamples=100)
    assert interval == bootstrap_mean(values, seed=1, resamples=100)
    assert interval.low < interval.mean < interval.high
    assert interval.high - interval.low < 0.01


@given(
    st.one_of(
        st.lists(st.booleans(), min_size=1, max_size=40),
        st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=40),
    ),
    st.integers(0, 2**32),
)
def test_bootstrap_interval_contains_the_mean(values: list[float], seed: int) -> None:
    interval = bootstrap_mean(values, seed=seed, resamples=200)
    assert interval.mean == pytest.approx(float(np.mean(values)))
    assert interval.low - 1e-12 <= interval.mean <= interval.high + 1e-12


def test_oracle_calls_the_cheapest_correct_model_only() -> None:
    correct = [[False, True, True], [True, True, True], [False, False, False], [False, True, True]]
    cost = [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [4.0, 2.0, 3.0], [1.0, 3.0, 3.0]]
    result = oracle(correct, cost)
    assert result.choice.tolist() == [1, 0, 1, 1]
    assert result.correct.tolist() == [True, True, False, True]
    assert result.cost.tolist() == [2.0, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="prompts x models"):
        oracle([True], [1.0])


@given(st.integers(1, 20), st.integers(1, 5), st.integers(0, 2**32))
def test_oracle_is_right_whenever_some_model_is(prompts: int, models: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    correct = rng.random((prompts, models)) < 0.4
    cost = rng.random((prompts, models))
    result = oracle(correct, cost)
    assert (result.correct == correct.any(axis=1)).all()
    cheapest_correct = np.where(correct, cost, np.inf).min(axis=1)
    assert (result.cost[result.correct] == cheapest_correct[result.correct]).all()
    assert (result.cost[~result.correct] == cost.min(axis=1)[~result.correct]).all()
