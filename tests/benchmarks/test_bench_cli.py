"""``python -m benchmarks``: results.json, report.md and the plot from replayed recordings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import benchmarks.cli
from benchmarks.__main__ import main as dispatch
from tests.benchmarks.replay_builders import record, write

POLICY = """
name = "strict"
task_kind = "math"
[[tiers]]
model = "any/cheap"
threshold = 0.5
[[tiers]]
model = "any/top"
threshold = 0.5
[[verifiers]]
kind = "non_empty"
min_chars = 3
"""

ROW_KEYS = {
    "recording",
    "method",
    "accuracy",
    "cost_per_prompt_usd",
    "cost_pct_of_top",
    "accuracy_pct_of_top",
    "escalation_rate",
}


def _records(n: int = 12) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        blank = i % 3 == 0  # the small model gives up on every third prompt, and is wrong
        out.append(
            record(
                f"q{i}",
                f"What is {i} + {i}? Answer with a number.",
                {
                    "small": [("" if blank else f"It is {2 * i}.", not blank and i % 2 == 0, 1e-5)],
                    "mid": [(f"The answer is {2 * i}", i % 4 != 1, 1e-4)],
                    "big": [(f"{2 * i}", True, 1e-3)],
                },
            )
        )
    return out


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    manifest = write(tmp_path / "data", _records())
    policy = tmp_path / "strict.toml"
    policy.write_text(POLICY)
    return manifest, policy


def _run(out: Path, *args: str) -> dict[str, Any]:
    assert benchmarks.cli.main([*args, "--out", str(out)]) == 0
    loaded: dict[str, Any] = json.loads((out / "results.json").read_text())
    return loaded


def test_writes_results_report_and_plot(tmp_path: Path, data: tuple[Path, Path]) -> None:
    manifest, policy = data
    results = _run(tmp_path / "out", "--data", str(manifest), "--policy", str(policy))
    rows = {r["method"]: r for r in results["rows"]}
    assert set(rows) == {
        "always:small",
        "always:mid",
        "always:big",
        "oracle",
        "mixture",
        "vote-cascade",
        "policy:strict",
    }
    for row in rows.values():
        assert set(row) >= ROW_KEYS and row["recording"] == "toy"
    assert rows["always:small"]["accuracy"] == pytest.approx(4 / 12)
    assert rows["always:mid"]["accuracy"] == pytest.approx(9 / 12)
    assert rows["always:big"]["accuracy_pct_of_top"] == pytest.approx(100.0)
    assert rows["oracle"]["accuracy"] == 1.0 and rows["oracle"]["escalation_rate"] is None
    strict = rows["policy:strict"]
    assert strict["escalation_rate"] == pytest.approx(4 / 12)  # the blank answers escalate
    assert strict["accuracy"] == pytest.approx(7 / 12)  # 4 at small, 3 of 4 at mid
    assert strict["accuracy_ci95"][0] <= strict["accuracy"] <= strict["accuracy_ci95"][1]
    info = results["recordings"]["toy"]
    assert set(info["apgr"]) == set(rows)
    assert info["roc_auc"]["policy:strict"]["non_empty"] == pytest.approx(0.75)
    assert [p["threshold"] for p in info["sweeps"]["policy:strict"]][:2] == [0.0, 0.1]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "no policy under test has a judge verifier (this recording has no confidence" in report
    assert f"--policy {policy}" in report and "## toy" in report
    assert (tmp_path / "out" / "cost_quality.png").read_bytes()[:4] == b"\x89PNG"


def test_same_seed_same_results(tmp_path: Path, data: tuple[Path, Path]) -> None:
    manifest, _ = data
    args = ("--data", str(manifest.parent), "--limit", "7", "--seed", "3", "--no-plot")
    first = _run(tmp_path / "a", *args)
    assert first == _run(tmp_path / "b", *args)
    assert first["recordings"]["toy"]["prompts"] == 7
    assert "policy:math" in {r["method"] for r in first["rows"]}  # the task kind's preset


def test_the_report_says_what_tuning_would_do_given_30_prompts(
    tmp_path: Path, data: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, policy = data
    few = _run(tmp_path / "few", "--data", str(data[0]), "--policy", str(policy), "--no-plot")
    assert few["recordings"]["toy"]["tuned"] == {}  # 12 prompts: too few to tune on
    assert "If tuned" not in capsys.readouterr().out
    manifest = write(tmp_path / "thirty", _records(30))
    three = tmp_path / "strict.toml"  # a top tier of 3 samples: dearer than always-top's one
    three.write_text(POLICY.replace('model = "any/top"', 'model = "any/top"\nsamples = 3'))
    results = _run(tmp_path / "out", "--data", str(manifest), "--policy", str(three), "--no-plot")
    tuned = results["recordings"]["toy"]["tuned"]["policy:strict"]
    assert tuned["cost_pct_of_top"] > 100  # shares of the always-top row, as every row has them
    assert tuned["folds"] == 5 and tuned["accuracy_ci95"][0] <= tuned["accuracy"]
    assert tuned["accuracy"] <= tuned["accuracy_ci95"][1]
    top = next(r for r in results["rows"] if r["method"] == "always:big")
    assert tuned["cost_pct_of_top"] == pytest.approx(
        100 * tuned["cost_per_prompt_usd"] / top["cost_per_prompt_usd"]
    )
    out = capsys.readouterr().out
    assert "If tuned (`cascade tune`" in out and "| toy | policy:strict |" in out
    assert "| toy | policy:strict |" in (tmp_path / "out" / "report.md").read_text()


def test_a_partial_recording_is_named_as_such(
    tmp_path: Path, data: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest, _ = data
    args = ("--data", str(manifest), "--no-plot")
    _run(tmp_path / "a", *args)
    assert "Partial recordings" not in capsys.readouterr().out
    raw = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**raw, "partial": True}))
    results = _run(tmp_path / "b", *args)
    assert results["recordings"]["toy"]["partial"] is True
    note = "still being made (`python -m benchmarks.record` resumes them): toy (12 prompts so far)"
    assert note in capsys.readouterr().out and note in (tmp_path / "b" / "report.md").read_text()
    manifest.write_text(json.dumps({**raw, "partial": "yes"}))
    assert benchmarks.cli.main([*args, "--out", str(tmp_path / "c")]) == 2
    assert "partial" in capsys.readouterr().err


def test_without_recordings_it_says_how_to_pass_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(benchmarks.cli, "OWN_RECORDINGS", tmp_path / "none")
    assert dispatch(["--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "do not exist yet" in err and "--data" in err


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmarks.cli.main(["--data", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
    manifest = write(tmp_path, _records(2))
    assert benchmarks.cli.main(["--data", str(manifest), "--policy", "nonesuch"]) == 2
    assert "nonesuch" in capsys.readouterr().err


def test_a_ladder_of_chosen_models_and_a_shorter_sweep(
    tmp_path: Path, data: tuple[Path, Path]
) -> None:
    manifest, policy = data
    args = ("--data", str(manifest), "--policy", str(policy), "--no-plot")
    results = _run(tmp_path / "out", *args, "--models", "small,big", "--sweep", "0.5,1")
    info = results["recordings"]["toy"]
    assert info["models"] == ["small", "big"]
    assert [p["threshold"] for p in info["sweeps"]["policy:strict"]] == [0.0, 0.5, 1.0]
    rows = {r["method"]: r for r in results["rows"]}
    assert "always:mid" not in rows
    assert rows["policy:strict"]["accuracy"] == pytest.approx(8 / 12)  # blanks go to big
    assert rows["policy:strict"]["escalation_by_tier"] == [pytest.approx(4 / 12)]
