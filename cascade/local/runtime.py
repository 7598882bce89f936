"""Small models on this CPU through llama-cpp-python: loaded once per process, one call at a time.

A llama context is not thread-safe, so each loaded model carries a lock that serializes its
calls; different models may run at once. Requests for the same prompt that wait together are
decoded together. Nothing here knows about litellm.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from cascade.local.assets import INSTALL_HINT, LocalModelError, MissingPackage, model_path
from cascade.local.batch import BatchDecoder
from cascade.local.host import batching, extra_buffers, threads

DEFAULT_N_CTX = 4096
DEFAULT_MAX_TOKENS = 1024
_PASSED_ON = ("temperature", "top_p", "stop", "presence_penalty", "frequency_penalty")


class ChatModel(Protocol):
    """The part of ``llama_cpp.Llama`` this provider uses."""

    def create_chat_completion(self, **kwargs: Any) -> Any:
        """Answer OpenAI-style chat messages; returns an OpenAI-style response dict."""
        ...

    def reset(self) -> None:
        """Forget the evaluated tokens: the next prompt is evaluated from the start."""
        ...

    def close(self) -> None:
        """Free the model and its context."""
        ...


@dataclass(slots=True)
class LoadedModel:
    """A loaded llama and the lock that serializes its calls; ``batch`` decodes several samples
    of one request together (made on the first such request; None for a model that is not a
    ``llama_cpp.Llama``, or with $CASCADE_LOCAL_BATCH=0)."""

    llama: ChatModel
    lock: threading.Lock = field(default_factory=threading.Lock)
    n_threads: int = 1
    batch: BatchDecoder | None = None
    batch_tried: bool = False
    queue_lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: dict[str, list[_Waiting]] = field(default_factory=dict)


_LOADED: dict[tuple[str, int, int], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def llama_class() -> Any:
    """``llama_cpp.Llama``; a missing llama-cpp-python says how to install the extra."""
    try:
        llama_cpp = importlib.import_module("llama_cpp")
    except ImportError as exc:
        raise MissingPackage(
            f"local models need llama-cpp-python: {INSTALL_HINT} "
            f"(it builds from source, a few minutes on a small machine). Import failed: {exc}"
        ) from exc
    return llama_cpp.Llama


@contextlib.contextmanager
def _model_params(extra: bool) -> Iterator[None]:
    """While a ``llama_cpp.Llama`` is made: its model parameters with ``use_extra_bufts`` set to
    ``extra`` (``Llama`` takes no argument for it; it starts from llama.cpp's defaults, which
    are swapped for the time of the load, under the load lock)."""
    api: Any
    try:
        api = importlib.import_module("llama_cpp.llama_cpp")
    except ImportError:  # a stand-in model class, in tests
        api = None
    defaults = getattr(api, "llama_model_default_params", None)
    if extra or defaults is None:
        yield
        return

    def without_extra_buffers() -> Any:
        params = defaults()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    api.llama_model_default_params = without_extra_buffers
    try:
        yield
    finally:
        api.llama_model_default_params = defaults


def load(name: str, n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None) -> LoadedModel:
    """The loaded model called ``name`` (assembled and loaded on first use, then reused)."""
    n_threads = n_threads or threads()
    key = (name, n_ctx, n_threads)
    loaded = _LOADED.get(key)
    if loaded is not None:  # loaded already: no wait behind another model's first load
        return loaded
    with _LOAD_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            llama = llama_class()
            path = model_path(name)
            with _model_params(extra_buffers()):
                instance = llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    verbose=False,
                )
            loaded = _LOADED[key] = LoadedModel(cast(ChatModel, instance), n_threads=n_threads)
    return loaded


def close_all() -> None:
    """Free every loaded model (run at exit, before llama-cpp's own globals are torn down)."""
    with _LOAD_LOCK:
        while _LOADED:
            _, loaded = _LOADED.popitem()
            with loaded.lock:
                if loaded.batch is not None:
                    loaded.batch.close()
                loaded.llama.close()


atexit.register(close_all)


def sampling(params: Mapping[str, Any]) -> dict[str, Any]:
    """llama-cpp keyword arguments from litellm's optional params; other params are ignored."""
    out = {k: params[k] for k in _PASSED_ON if params.get(k) is not None}
    limit = params.get("max_tokens") or params.get("max_completion_tokens")
    out["max_tokens"] = int(limit) if limit else DEFAULT_MAX_TOKENS
    return out


#: How long the first of several identical requests waits for the others before decoding, and
#: waits again after each one that arrives (at most `GATHER_MAX_S` in all): the engine sends a
#: tier's samples at the same moment, as separate requests, but each passes through litellm and a
#: worker thread before it gets here.
GATHER_S = 0.02
GATHER_MAX_S = 0.2


class Cancelled(LocalModelError):
    """The caller stopped waiting (a timeout, a cancelled task) before the request was decoded."""


@dataclass(slots=True)
class _Waiting:
    """A request waiting for its answers: one seed per sample. ``cancelled`` is set by a caller
    that no longer waits; ``done`` once ``answers`` or ``error`` is set."""

    seeds: list[int | None]
    cancelled: threading.Event
    answers: list[dict[str, Any]] | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def generate(
    loaded: LoadedModel,
    messages: list[dict[str, str]],
    params: Mapping[str, Any],
    cancelled: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Run the model ``n`` times (seed, seed+1, ... when seeded); the raw llama responses.

    Requests for the same prompt and parameters (seeds apart) that wait for the model together
    are answered together: their samples share the prompt's evaluation and are decoded in one
    batch (`BatchDecoder`), the same distribution as one call after another in less time. The
    first of them (the group's leader) takes the model's lock and decodes for all; the others
    wait for their answers only, never for the lock. The context starts empty for each group, so
    that an answer does not depend on an earlier request (a prompt evaluated after another one's
    prefix can round differently). Setting ``cancelled`` (the caller gave up) drops the request
    from its group if it has not been decoded yet; it then raises `Cancelled`.
    """
    n = max(1, int(params.get("n") or 1))
    seed = params.get("seed")
    kwargs = sampling(params)
    mine = _Waiting(
        [None if seed is None else int(seed) + i for i in range(n)],
        cancelled if cancelled is not None else threading.Event(),
    )
    key = json.dumps([messages, kwargs], sort_keys=True, default=str)
    with loaded.queue_lock:
        group = loaded.waiting.get(key)
        leader = group is None
        loaded.waiting.setdefault(key, []).append(mine)
    if leader:
        group = None
        try:
            with loaded.lock:
                _gather(loaded, key)
                with loaded.queue_lock:
                    group = loaded.waiting.pop(key)
                _answer_group(loaded, messages, kwargs, group)
        except BaseException as exc:  # interrupted before its group was answered (Ctrl-C)
            if group is None:  # still listed: only this leader removes it
                with loaded.queue_lock:
                    group = loaded.waiting.pop(key, [])
            reason = f"the request that was to decode this one was interrupted ({exc!r})"
            _fail(group, LocalModelError(reason))
            raise
    mine.done.wait()
    if mine.error is not None:
        raise mine.error
    assert mine.answers is not None
    return mine.answers


def _gather(loaded: LoadedModel, key: str) -> None:
    """Let the requests of ``key`` arrive: wait `GATHER_S`, again while more keep arriving."""
    end = time.monotonic() + max(GATHER_MAX_S, GATHER_S)
    seen = 0
    while True:
        with loaded.queue_lock:
            now = len(loaded.waiting[key])
        left = end - time.monotonic()
        if now == seen or left <= 0:
            return
        seen = now
        time.sleep(min(GATHER_S, left))


def _answer_group(
    loaded: LoadedModel,
    messages: list[dict[str, str]],
    kwargs: Mapping[str, Any],
    group: list[_Waiting],
) -> None:
    """Answer every request of ``group`` that is still wanted (the caller holds the model's
    lock), then mark all of them done: each gets its answers or an error."""
    try:
        live = [w for w in group if not _dropped(w)]
        seeds = [s for waiting in live for s in waiting.seeds]
        if not seeds:
            return
        loaded.llama.reset()
        decoder = _decoder(loaded) if len(seeds) > 1 else None
        answers = None if decoder is None else decoder.generate(messages, seeds, kwargs)
        if answers is not None:
            for waiting in live:
                size = len(waiting.seeds)
                waiting.answers, answers = answers[:size], answers[size:]
            return
        for waiting in live:  # one call after another: a request cancelled meanwhile is skipped
            if not _dropped(waiting):
                waiting.answers = [
                    loaded.llama.create_chat_completion(messages=messages, seed=s, **kwargs)
                    for s in waiting.seeds
                ]
    except BaseException as exc:
        _fail(group, exc)
    finally:
        for waiting in group:
            waiting.done.set()


def _fail(group: list[_Waiting], exc: BaseException) -> None:
    """Give ``exc`` to every request of ``group`` still without answers, and mark all done."""
    for waiting in group:
        if waiting.answers is None and waiting.error is None:
            waiting.error = exc
        waiting.done.set()


def _dropped(waiting: _Waiting) -> bool:
    """Whether the request's caller gave up on it (then its error says so)."""
    if waiting.cancelled.is_set():
        waiting.error = Cancelled("the caller stopped waiting before the request was decoded")
        return True
    return False


def _decoder(loaded: LoadedModel) -> BatchDecoder | None:
    """The model's batch decoder, made on first use; None where batching does not apply, or
    when its context cannot be made (then samples run one at a time, with a warning)."""
    if not batching():
        return None
    if not loaded.batch_tried:
        loaded.batch_tried = True
        if type(loaded.llama).__module__.startswith("llama_cpp"):
            llama: Any = loaded.llama
            try:
                loaded.batch = BatchDecoder(llama, 2 * llama.n_ctx(), loaded.n_threads)
            except Exception as exc:  # whatever the failure, samples run one at a time
                warnings.warn(
                    f"cascade.local: samples run one at a time, the batch context failed: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )
    return loaded.batch
