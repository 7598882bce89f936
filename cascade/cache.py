"""The answer cache (diskcache): a repeated identical call costs nothing.

The key covers everything that changes an answer: the model, the messages, the sampling
parameters and the sample index. A corrupt or unwritable cache directory degrades to no cache
with one warning; it never fails a request.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

_OPEN: weakref.WeakSet[AnswerCache] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    """Write what every open cache still holds in memory before the interpreter exits."""
    for cache in list(_OPEN):
        cache.flush()


def cache_key(model: str, messages: Any, params: dict[str, Any], sample: int) -> str:
    """A stable hash of one call's inputs."""
    blob = json.dumps([model, messages, params, sample], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class AnswerCache:
    """A diskcache-backed map from call keys to completions (plain dicts)."""

    def __init__(self, directory: str | Path, size_limit_bytes: int = 2**30):
        self.directory = Path(directory).expanduser()
        self._cache: Any = None
        self._pending: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._closed = False
        _OPEN.add(self)
        try:
            import diskcache

            self._cache = diskcache.Cache(str(self.directory), size_limit=size_limit_bytes)
        except Exception as exc:  # any failure to open must degrade, not crash
            self._disable(exc)

    @property
    def enabled(self) -> bool:
        """Whether the cache is usable."""
        return self._cache is not None

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored completion for ``key``, or None."""
        if self._cache is None:
            return None
        pending = self._pending.get(key)
        if pending is not None:
            return pending
        try:
            value = self._cache.get(key)
        except Exception as exc:
            self._disable(exc)
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        """Store a completion: visible to `get` at once, written to disk by a background thread.

        The write leaves the request's path (a SQLite commit costs more than the rest of the
        engine's work per call); `close` and interpreter exit flush what is pending.
        """
        if self._cache is None:
            return
        with self._lock:
            self._pending[key] = value
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._drain, name="cascade-cache", daemon=True
                )
                self._writer.start()
        self._wake.set()

    def _drain(self) -> None:
        while True:
            self._wake.wait(1.0)
            time.sleep(0.05)  # gather the writes of a burst into one transaction
            self._wake.clear()
            self.flush()
            if self._closed:
                return

    def flush(self) -> None:
        """Write every pending completion to disk now."""
        with self._lock:
            pending = list(self._pending.items())
        cache = self._cache
        if cache is None or not pending:
            return
        try:
            with cache.transact():
                for key, value in pending:
                    cache.set(key, value)
        except Exception as exc:
            self._disable(exc)
            return
        with self._lock:  # visible in memory until on disk, so a get never misses in between
            for key, value in pending:
                if self._pending.get(key) is value:
                    del self._pending[key]

    def clear(self) -> None:
        """Remove every stored completion."""
        if self._cache is not None:
            self._cache.clear()

    def close(self) -> None:
        """Write what is pending and close the underlying database."""
        self._closed = True
        self.flush()
        self._wake.set()
        if self._cache is not None:
            self._cache.close()

    def _disable(self, exc: BaseException) -> None:
        self._cache = None
        warnings.warn(
            f"cascade: answer cache disabled, {self.directory} is not usable ({exc})",
            RuntimeWarning,
            stacklevel=3,
        )
