"""Offline tuning: simulation, threshold search, validation, the tuned policy file and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cascade
from cascade import Policy, PolicyError, Tier, VerifierSpec
from cascade.cli import main
from cascade.tuning.search import (
    BAG_LIMIT,
    BAGS,
    NEVER,
    Choice,
    Objective,
    Validation,
    bags_for,
    choose,
    choose_bagged,
    cross_validate,
    grid,
    sweep,
)
from cascade.tuning.simulate import Table, simulate
from cascade.tuning.tune import TuneReport, tune
from tests.benchmarks.replay_builders import record, write


def _table(
    scores: list[list[float]],
    correct: list[list[bool]],
    costs: Sequence[float] = (1.0, 10.0, 100.0),
) -> Table:
    s = np.array(scores, dtype=float)
    return Table(s, np.array(correct), np.tile(np.array(costs, dtype=float), (len(s), 1)))


def test_simulate_stops_at_the_first_accepting_tier_and_pays_up_to_it() -> None:
    t = _table(
        [[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.1, 0.1, 0.0]],
        [[True, False, True], [False, True, True], [False, False, False]],
    )
    out = simulate(t, np.array([0.5, 0.5, 0.0]))
    assert list(out.stop_tier) == [0, 1, 2]
    assert out.accuracy == pytest.approx(2 / 3) and out.cost == pytest.approx((1 + 11 + 111) / 3)
    skipped = simulate(t, np.array([0.5, NEVER, 0.0]))  # tier 1 skipped: not called, not paid
    assert list(skipped.stop_tier) == [0, 2, 2]
    assert skipped.cost == pytest.approx((1 + 101 + 101) / 3)


tables = st.integers(2, 30).flatmap(
    lambda n: st.tuples(
        hnp.arrays(float, (n, 3), elements=st.floats(0, 1)),
        hnp.arrays(bool, (n, 3)),
        hnp.arrays(float, (n, 3), elements=st.floats(0, 5)),
    )
)


@settings(max_examples=60, deadline=None)
@given(tables, st.integers(0, 1), st.sampled_from([0.0, 0.5, 1.0, NEVER]))
def test_sweep_agrees_with_simulate(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], k: int, other: float
) -> None:
    table = Table(*data)
    th = np.array([other, other, 0.0])
    axis = grid(table.scores[:, k], 8)
    acc, cost = sweep(table, th, k, axis)
    for j, value in enumerate(axis):
        trial = th.copy()
        trial[k] = value
        out = simulate(table, trial)
        assert acc[j] == pytest.approx(out.accuracy) and cost[j] == pytest.approx(out.cost)


def test_choose_accepts_confident_cheap_answers_and_meets_the_target() -> None:
    rng = np.random.default_rng(0)
    n = 200
    cheap_right = rng.random(n) < 0.6
    scores = np.stack([np.where(cheap_right, 0.9, 0.3), np.full(n, 0.5), np.zeros(n)], axis=1)
    correct = np.stack([cheap_right, rng.random(n) < 0.5, np.ones(n, bool)], axis=1)
    t = Table(scores, correct, np.tile([1.0, 10.0, 100.0], (n, 1)))
    best = choose(t, Objective(0.99))
    assert best.feasible and best.outcome.accuracy == 1.0
    # tier 1 is never worth calling: escalated prompts go straight to the top
    assert best.outcome.cost == pytest.approx(1 + (1 - cheap_right.mean()) * 100)
    assert best.thresholds[1] == NEVER
    capped = choose(t, Objective(max_cost_pct=10))
    assert capped.outcome.cost <= 10.0 + 1e-9
    v = cross_validate(t, Objective(0.99), folds=4)
    assert v.accuracy == 1.0 and v.accuracy_ci[0] <= v.accuracy <= v.accuracy_ci[1]


def _noisy(n: int, seed: int) -> Table:
    """Three tiers whose scores say a little about their labels."""
    rng = np.random.default_rng(seed)
    correct = rng.random((n, 3)) < [0.5, 0.7, 0.85]
    scores = np.round(np.clip(correct * 0.4 + rng.random((n, 3)) * 0.6, 0, 1), 1).astype(float)
    return Table(scores, correct, np.tile([1.0, 2.0, 20.0], (n, 1)))


def test_choose_bagged_takes_each_tiers_upper_median_over_bootstrap_choices() -> None:
    t = _noisy(60, 2)  # a table whose 5th and 6th smallest choices differ on both tiers
    rng = np.random.default_rng(5)
    picks = np.array(
        [choose(t.take(rng.integers(0, 60, 60)), Objective(0.99)).thresholds for _ in range(10)]
    )
    bagged = choose_bagged(t, Objective(0.99), bags=10, seed=5)
    for k in range(3):
        column = np.sort(picks[:, k])
        assert bagged.thresholds[k] == column[5]  # the upper median of 10: one of the choices
    assert bagged.thresholds[-1] == 0.0
    assert bagged.outcome.accuracy == simulate(t, bagged.thresholds).accuracy
    assert choose_bagged(t, Objective(0.99), bags=10, seed=5).thresholds.tolist() == (
        bagged.thresholds.tolist()
    )


def test_choose_bagged_is_plain_choose_without_bags_which_large_data_gets() -> None:
    small = _noisy(60, 2)
    plain = choose(small, Objective(0.99)).thresholds
    assert choose_bagged(small, Objective(0.99), bags=0).thresholds.tolist() == plain.tolist()
    assert bags_for(BAG_LIMIT) == BAGS and bags_for(BAG_LIMIT + 1) == 0


def test_bagged_thresholds_never_pass_a_cost_cap_on_their_own_data() -> None:
    t, cap = _noisy(60, 3), Objective(max_cost_pct=40)
    rng = np.random.default_rng(0)
    picks = [choose(t.take(rng.integers(0, 60, 60)), cap).thresholds for _ in range(BAGS)]
    median = np.quantile(np.array(picks), 0.5, axis=0, method="higher")
    top = simulate(t, np.full(3, NEVER))
    assert simulate(t, median).cost > 0.4 * top.cost  # the median alone would pass the cap
    bagged = choose_bagged(t, cap)
    assert bagged.feasible and bagged.outcome.cost <= 0.4 * top.cost + 1e-12
    assert bagged.thresholds.tolist() == choose(t, cap).thresholds.tolist()


def _recording(folder: Path, n: int) -> Path:
    """Math prompts where the cheap model's samples agree exactly when it is right."""
    recs = []
    for i in range(n):
        easy = i % 2 == 0
        small = (
            [("The answer is 5", True, 1e-6)] * 3
            if easy
            else [
                ("The answer is 1", False, 1e-6),
                ("The answer is 2", False, 1e-6),
                ("The answer is 3", False, 1e-6),
            ]
        )
        recs.append(
            record(
                f"q{i}",
                f"What is {i}+5-{i}?",
                {
                    "small": small,
                    "mid": [("The answer is 5", True, 1e-4)] * 3,
                    "big": [("The answer is 5", True, 1e-3)] * 3,
                },
            )
        )
    return write(folder, recs)


POLICY = Policy(
    name="toy-vote",
    task_kind="math",
    tiers=tuple(Tier(model=m, samples=3, threshold=0.5) for m in ("a/s", "a/m", "a/b")),
    verifiers=(VerifierSpec(kind="vote"),),
)


def test_tune_writes_a_loadable_policy_with_provenance(tmp_path: Path) -> None:
    data = _recording(tmp_path, 60)
    out = tmp_path / "tuned.toml"
    report = tune([data], POLICY, out=out)
    tuned = cascade.load_policy(out)
    assert [t.model for t in tuned.tiers] == ["a/s", "a/m", "a/b"]  # the source ladder is kept
    assert tuned.tiers[0].threshold > 1 / 3 and not tuned.tiers[0].skip
    assert tuned.provenance["source_policy"] == "toy-vote" and tuned.provenance["prompts"] == 60
    assert "toy (" in tuned.provenance["data"][0]
    assert report.validation.accuracy == 1.0
    assert report.validation.cost < report.validation.top_cost
    assert POLICY.tiers[0].threshold == 0.5  # the source policy is unchanged
    # the recording is of other models, whose prices say nothing of the policy's: kept as is
    assert tuned.skip_dominated and POLICY.skip_dominated
    own = tune([data], POLICY.with_models(["small", "mid", "big"])).policy
    assert not own.skip_dominated  # measured on its own models: the data decides every tier
    other = tmp_path / "other"  # the same prompts answered by other models
    other.mkdir()
    for f in data.parent.glob("toy.*"):
        text = f.read_text().replace('"small"', '"tiny"').replace('"toy"', '"other"')
        (other / f.name.replace("toy", "other")).write_text(text)
    mixed = tune([data, other], POLICY.with_models(["small", "mid", "big"])).policy
    assert mixed.skip_dominated  # part of the data is of another model: not measured


def test_tune_refuses_too_little_data_and_overwriting_its_source(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="too few"):
        tune([_recording(tmp_path, 10)], POLICY)
    src = tmp_path / "src.toml"
    src.write_text(
        'name = "s"\ntask_kind = "math"\n[[tiers]]\nmodel = "a/x"\n[[tiers]]\n'
        'model = "a/y"\n[[tiers]]\nmodel = "a/z"\n[[verifiers]]\nkind = "vote"\n'
    )
    (tmp_path / "big").mkdir()
    with pytest.raises(PolicyError, match="overwrite"):
        tune([_recording(tmp_path / "big", 40)], src, out=src)


def test_cli_tune_on_one_half(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _recording(tmp_path, 80)
    out = tmp_path / "t.toml"
    src = tmp_path / "src.toml"
    src.write_text(
        'name = "s"\ntask_kind = "math"\n[[tiers]]\nmodel = "a/x"\nsamples = 3\n'
        '[[tiers]]\nmodel = "a/y"\n[[tiers]]\nmodel = "a/z"\n'
        '[[verifiers]]\nkind = "vote"\n'
    )
    assert (
        main(["tune", "--data", str(data), "--policy", str(src), "--half", "0", "--out", str(out)])
        == 0
    )
    assert "held-out" in capsys.readouterr().out
    assert cascade.load_policy(out).provenance["prompts"] < 80
    assert main(["tune", "--data", str(tmp_path / "missing.jsonl")]) == 2


def test_tune_on_fewer_models_than_tiers_keeps_the_matching_tiers(tmp_path: Path) -> None:
    models = (("small", 1e-7, 2e-7), ("big", 1e-5, 2e-5))
    recs = [
        record(
            f"q{i}",
            f"What is {i}?",
            {
                "small": [(f"The answer is {i}", True, 1e-6)] * 3
                if i % 2
                else [
                    ("The answer is 1", False, 1e-6),
                    ("The answer is 2", False, 1e-6),
                    ("The answer is 3", False, 1e-6),
                ],
                "big": [(f"The answer is {i}", True, 1e-3)],
            },
        )
        for i in range(40)
    ]
    data = write(tmp_path, recs, models=models)
    report = tune([data], POLICY, out=tmp_path / "t.toml")
    assert [t.model for t in report.policy.tiers] == ["a/s", "a/b"]
    assert report.validation.accuracy == 1.0 and report.validation.cost < report.validation.top_cost


def test_summary_says_when_bagged_thresholds_fall_short_on_the_tuning_data() -> None:
    t = _noisy(60, 2)
    th = np.array([0.0, 0.0, 0.0])
    v = Validation(0.5, 1.0, (0.4, 0.6), (0.9, 1.1), 0.6, 2.0, 5)
    short = TuneReport(POLICY, Choice(th, simulate(t, th), False), v, 60, None)
    assert "on the tuning data itself these thresholds reach accuracy" in short.summary()
    met = TuneReport(POLICY, Choice(th, simulate(t, th), True), v, 60, None)
    assert "tuning data itself" not in met.summary()
    cap = Objective(max_cost_pct=1)
    over = TuneReport(POLICY, Choice(th, simulate(t, th), False), v, 60, None, objective=cap)
    assert "no setting meets the cost cap of 1% of always-top" in over.summary()
