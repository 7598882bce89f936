"""Shared fixtures: every test writes traces and cache under its own temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CASCADE_TRACE", str(tmp_path / "traces"))
    monkeypatch.setenv("CASCADE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CASCADE_TRACE_PROMPTS", raising=False)
    import cascade.api

    monkeypatch.setattr(cascade.api, "_default", None)
    yield
    if cascade.api._default is not None:
        cascade.api._default.close()
