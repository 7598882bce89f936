"""Small models on this CPU through llama-cpp-python: loaded once per process, one call at a time.

A llama context is not thread-safe, so each loaded model carries a lock that serializes its
calls; different models may run at once. Nothing here knows about litellm.
"""

from __future__ import annotations

import atexit
import importlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from cascade.local.assets import INSTALL_HINT, LocalModelError, MissingPackage, model_path

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
    """A loaded llama and the lock that serializes its calls."""

    llama: ChatModel
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[tuple[str, int, int], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def threads() -> int:
    """Threads per model: $CASCADE_LOCAL_THREADS, else the CPUs this process may use."""
    raw = os.environ.get("CASCADE_LOCAL_THREADS", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            message = f"CASCADE_LOCAL_THREADS must be an integer, got {raw!r}"
            raise LocalModelError(message) from None
        if value < 1:
            raise LocalModelError(f"CASCADE_LOCAL_THREADS must be at least 1, got {value}")
        return value
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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


def load(name: str, n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None) -> LoadedModel:
    """The loaded model called ``name`` (assembled and loaded on first use, then reused)."""
    n_threads = n_threads or threads()
    key = (name, n_ctx, n_threads)
    with _LOAD_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            llama = llama_class()
            path = model_path(name)
            instance = llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                verbose=False,
            )
            loaded = _LOADED[key] = LoadedModel(cast(ChatModel, instance))
    return loaded


def close_all() -> None:
    """Free every loaded model (run at exit, before llama-cpp's own globals are torn down)."""
    with _LOAD_LOCK:
        while _LOADED:
            _, loaded = _LOADED.popitem()
            with loaded.lock:
                loaded.llama.close()


atexit.register(close_all)


def sampling(params: Mapping[str, Any]) -> dict[str, Any]:
    """llama-cpp keyword arguments from litellm's optional params; other params are ignored."""
    out = {k: params[k] for k in _PASSED_ON if params.get(k) is not None}
    limit = params.get("max_tokens") or params.get("max_completion_tokens")
    out["max_tokens"] = int(limit) if limit else DEFAULT_MAX_TOKENS
    return out


def generate(
    loaded: LoadedModel, messages: list[dict[str, str]], params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run the model ``n`` times (seed, seed+1, ... when seeded); the raw llama responses.

    The context starts empty for each request, so that an answer depends on the request alone
    (a prompt evaluated after an earlier one's prefix can round differently); the ``n`` samples of
    one request share their prompt's evaluation.
    """
    n = max(1, int(params.get("n") or 1))
    seed = params.get("seed")
    kwargs = sampling(params)
    answers = []
    with loaded.lock:
        loaded.llama.reset()
        for i in range(n):
            call_seed = None if seed is None else int(seed) + i
            answers.append(
                loaded.llama.create_chat_completion(messages=messages, seed=call_seed, **kwargs)
            )
    return answers
