"""Tests for benchmarks.verifier_auc on tiny synthetic recordings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cascade.verifiers import as_verifier

import cascade
from benchmarks import verifier_auc, vote_auc
from benchmarks.verifier_auc import NEEDS_JUDGE, Check, checks, measure, plan, render, task_of
from cascade import Candidate, Task, Verdict
from cascade.recordings import FORMAT, open_recording

SECRET = "reference-only-7319"

# (prompt, [(text, correct), ...]) for model "small"; k = 3 votes give the scores in comments
MATH = [
    ("Tom has 3 apples and buys 4 more. How many apples?", [("7", 1), ("7", 1), ("7", 1)]),  # 1
    ("A box holds 6 pens. How many pens in 5 boxes?", [("30", 1), ("30", 1), ("11", 0)]),  # 2/3
    ("Ann reads 9 pages a day. How many in 2 days?", [("11", 0), ("7", 0), ("20", 0)]),  # 1/3
    ("Bo has 8 cards and gives 5 away. How many left?", [("13", 0), ("13", 0), ("3", 1)]),  # 2/3
]
VOTE_AUC = 3.5 / 4  # positives score {1, 2/3}, negatives {1/3, 2/3}: one tie of four pairs


def sample(text: str, correct: int) -> dict[str, Any]:
    """A recorded sample whose answer field holds the secret (never shown to verifiers)."""
    return {
        "text": f"The answer is {text}.",
        "answer": SECRET,
        "correct": bool(correct),
        "tokens_in": 10,
        "tokens_out": 5,
        "cost_usd": 0.001,
        "latency_s": None,
        "confidence": None,
    }


def write(
    folder: Path,
    rows: Sequence[tuple[str, Sequence[tuple[str, int]]]] = MATH,
    kind: str = "math",
    public: dict[str, Any] | None = None,
    name: str = "toy",
) -> Path:
    """A recording of one model, "small"; return its manifest path."""
    records = [
        {
            "id": f"q{i}",
            "prompt": prompt,
            "reference": {"answer": SECRET},
            "public": public,
            "samples": {"small": [sample(t, c) for t, c in answers]},
        }
        for i, (prompt, answers) in enumerate(rows)
    ]
    model = {"name": "small", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
    manifest = {
        "format": FORMAT,
        "name": name,
        "suite": name,
        "task_kind": kind,
        "split": "dev",
        "source": "test",
        "license": "MIT",
        "models": [model | {"price_note": "made up"}],
        "records": len(records),
        "notes": "synthetic",
    }
    path = folder / f"{name}.manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def rows_of(folder: Path, *args: str, tool: Any = verifier_auc) -> list[dict[str, Any]]:
    """Run a script's main over ``folder`` and return its JSON rows."""
    out = folder / "rows.json"
    assert tool.main(["--recordings", str(folder), "--json", str(out), *args]) == 0
    rows: list[dict[str, Any]] = json.loads(out.read_text())
    return rows


def test_math_recording_gets_every_applicable_verifier(tmp_path: Path) -> None:
    write(tmp_path)
    rows = rows_of(tmp_path, "--k", "3")
    got = {(r["verifier"], r["model"], r["k"], r["n"]) for r in rows}
    assert got == {
        ("non_empty", "small", 1, 12),
        ("vote", "small", 3, 4),
        ("quantities", "small", 3, 4),
        ("quantities", "small", 1, 12),
        ("judge", "-", 1, 0),
    }


def test_vote_row_scores_the_chosen_answer(tmp_path: Path) -> None:
    write(tmp_path)
    [vote] = [r for r in rows_of(tmp_path, "--k", "3") if r["verifier"] == "vote"]
    t = cascade.load_policy("math").tiers[0].threshold
    scores, labels = [1.0, 2 / 3, 1 / 3, 2 / 3], [1, 1, 0, 0]
    wrong_taken = sum(s >= t for s, y in zip(scores, labels, strict=True) if not y)
    assert vote["auc"] == pytest.approx(VOTE_AUC)
    assert vote["acc"] == pytest.approx(0.5)
    assert vote["threshold"] == t
    assert vote["far"] == pytest.approx(wrong_taken / 2)
    assert vote["accept"] == pytest.approx(sum(s >= t for s in scores) / 4)


def test_every_sample_is_judged_alone(tmp_path: Path) -> None:
    write(tmp_path)
    [row] = [r for r in rows_of(tmp_path) if r["verifier"] == "non_empty"]
    assert (row["n"], row["acc"], row["auc"]) == (12, 0.5, 0.5)


def test_k_all_and_k_above_the_recorded_samples(tmp_path: Path) -> None:
    write(tmp_path)
    rows = rows_of(tmp_path, "--k", "2", "all", "10", "--verifiers", "vote")
    assert sorted(r["k"] for r in rows) == [2, 3]
    assert {r["verifier"] for r in rows} == {"vote"}


def test_bad_k_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        verifier_auc.parser().parse_args(["--k", "0"])


def test_judge_without_a_model_is_reported_not_run(tmp_path: Path) -> None:
    write(tmp_path)
    [judge] = [r for r in rows_of(tmp_path) if r["verifier"] == "judge"]
    assert (judge["n"], judge["note"]) == (0, NEEDS_JUDGE)
    recording = open_recording(tmp_path / "toy.jsonl")
    table = render([asyncio.run(measure(recording, Check("judge", "judge"), "-", 1))])
    assert NEEDS_JUDGE in table


def test_judge_model_is_called_through_cascade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    async def answer(prompt: Any, policy: cascade.Policy) -> Any:
        asked.append(policy.tiers[0].model)
        sent = "\n".join(m["content"] for m in prompt)
        return SimpleNamespace(
            text="Score: 9/10" if "is 7." in sent else "Score: 1/10",
            model=policy.tiers[0].model,
            cost_usd=0.0,
        )

    monkeypatch.setattr(cascade, "arun", answer)
    write(tmp_path)
    [judge] = [r for r in rows_of(tmp_path, "--judge", "m/judge") if r["verifier"] == "judge"]
    assert (judge["model"], judge["n"], judge["note"]) == ("small", 12, "")
    assert judge["auc"] == pytest.approx(24 / 36)  # answers "7" rated 9: 3 right, 1 wrong
    assert set(asked) == {"m/judge"} and len(asked) == 8  # equal answers are judged once


def test_only_selects_recordings(tmp_path: Path) -> None:
    write(tmp_path, name="toy")
    write(tmp_path, name="other")
    rows = rows_of(tmp_path, "--only", "oth", "--verifiers", "non_empty")
    assert [r["recording"] for r in rows] == ["other"]


def test_code_and_json_kinds_get_their_verifiers() -> None:
    def names(kind: str, schema: bool) -> set[str]:
        return {c.name for c in checks(kind, schema, None)}

    assert "execute" in names("code", False) and "execute" not in names("math", False)
    assert "schema" in names("json", True) and "schema" not in names("json", False)
    assert "quantities" not in names("qa", False)


def test_code_recording_runs_execute(tmp_path: Path) -> None:
    prompt = "Write add(a, b).\n\n>>> add(2, 3)\n5\n"
    good = "```python\ndef add(a, b):\n    return a + b\n```"
    bad = "```python\ndef add(a, b):\n    return a - b\n```"
    write(tmp_path, [(prompt, [(good, 1), (bad, 0)])], kind="code")
    [row] = [r for r in rows_of(tmp_path, "--verifiers", "execute")]
    assert (row["n"], row["auc"]) == (2, 1.0)


def test_verifiers_see_only_the_visible_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Task, tuple[Candidate, ...]]] = []

    def look(candidates: Sequence[Candidate], task: Task) -> Verdict:
        seen.append((task, tuple(candidates)))
        return Verdict.of(True)

    monkeypatch.setattr(verifier_auc, "build", lambda kind, params: as_verifier(look))
    write(tmp_path, public={"choices": ["a", "b"]})
    recording = open_recording(tmp_path / "toy.jsonl")
    asyncio.run(measure(recording, Check("spy", "spy", together=True), "small", 3))
    assert len(seen) == 4
    assert all(SECRET not in repr(item) for item in seen)
    assert seen[0][0].public == {"choices": ("a", "b")} and seen[0][0].kind == "math"
    assert SECRET not in repr(task_of(recording.load()[0].visible(), "math"))


def test_plan_measures_each_verifier_model_and_k_once(tmp_path: Path) -> None:
    write(tmp_path)
    recording = open_recording(tmp_path / "toy.jsonl")
    units = [(c.name, m, k) for c, m, k in plan(recording, [3, 3, None, 1], None)]
    assert len(units) == len(set(units))
    assert ("quantities", "small", 1) in units and ("vote", "small", 1) in units


def test_vote_auc_is_an_alias_for_vote_rows(tmp_path: Path) -> None:
    write(tmp_path)
    rows = rows_of(tmp_path, tool=vote_auc)
    assert {(r["verifier"], r["k"]) for r in rows} == {("vote", 3)}
    assert rows[0]["auc"] == pytest.approx(VOTE_AUC)
