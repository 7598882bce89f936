"""The answer cache (diskcache): a repeated identical call costs nothing.

The key covers everything that changes an answer: the model, the messages, the sampling
parameters and the sample index. A corrupt or unwritable cache directory degrades to no cache
with one warning; it never fails a request.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any


def cache_key(model: str, messages: Any, params: dict[str, Any], sample: int) -> str:
    """A stable hash of one call's inputs."""
    blob = json.dumps([model, messages, params, sample], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class AnswerCache:
    """A diskcache-backed map from call keys to completions (plain dicts)."""

    def __init__(self, directory: str | Path, size_limit_bytes: int = 2**30):
        self.directory = Path(directory).expanduser()
        self._cache: Any = None
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
        try:
            value = self._cache.get(key)
        except Exception as exc:
            self._disable(exc)
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        """Store a completion."""
        if self._cache is None:
            return
        try:
            self._cache.set(key, value)
        except Exception as exc:
            self._disable(exc)

    def clear(self) -> None:
        """Remove every stored completion."""
        if self._cache is not None:
            self._cache.clear()

    def close(self) -> None:
        """Close the underlying database."""
        if self._cache is not None:
            self._cache.close()

    def _disable(self, exc: BaseException) -> None:
        self._cache = None
        warnings.warn(
            f"cascade: answer cache disabled, {self.directory} is not usable ({exc})",
            RuntimeWarning,
            stacklevel=3,
        )
