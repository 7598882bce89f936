"""The ``cascade`` command, end to end through litellm's mock responses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cascade
from cascade import LiteLLMProvider
from cascade.cli import main


@pytest.fixture(autouse=True)
def _mocked_litellm() -> None:
    cascade.configure(provider=LiteLLMProvider(mock_response="391"), cache=False, trace=False)


def test_run_prints_answer_model_acceptance_and_cost(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "What is 17*23?", "--policy", "math"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "391"
    assert "anthropic/claude-haiku-5-5" in err and "accepted" in err and "$" in err


def test_run_json_and_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["run", "q", "--policy", "qa", "--models", "anthropic/claude-opus-5-5", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "anthropic/claude-opus-5-5" and data["accepted"] is True
    assert data["cost_usd"] > 0 and [e["kind"] for e in data["trace"]][-1] == "accept"


def test_policy_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["run", "q", "--policy", "nope"]) == 2
    assert "valid presets" in capsys.readouterr().err
    assert main(["run", "q", "--ladder", "nope"]) == 2
    assert "valid ladders" in capsys.readouterr().err


def test_policies_lists_presets_and_ladders(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies"]) == 0
    out = capsys.readouterr().out
    assert "code" in out and "ladder anthropic" in out
