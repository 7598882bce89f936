"""The keyless walk-through (`python -m benchmarks.demo`) keeps telling the truth."""

from __future__ import annotations

from collections.abc import Iterator

import litellm
import pytest

from benchmarks import demo


@pytest.fixture
def _restore_providers() -> Iterator[None]:
    saved = list(litellm.custom_provider_map)
    yield
    litellm.custom_provider_map = saved
    litellm.utils.custom_llm_setup()  # type: ignore[no-untyped-call]


@pytest.mark.usefixtures("_restore_providers")
def test_demo_claims_hold(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert "all claims hold" in out and "cache_hit" in out
