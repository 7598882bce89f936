"""The answer cache (diskcache): a repeated identical call costs nothing.

The key covers everything that changes an answer: the model, the messages, the sampling
parameters and the sample index. A corrupt or unwritable cache directory degrades to no cache
with one warning; it never fails a request.

Most lookups are misses (a new prompt), and a SQLite read costs more than the rest of the
engine's work for a call; so a small in-memory filter of the keys on disk answers most misses
without touching the database. Keys that other processes write reach it within about a second.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import sqlite3
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

from cascade.request import messages_digest

_OPEN: weakref.WeakSet[AnswerCache] = weakref.WeakSet()
_FILTERS: weakref.WeakValueDictionary[str, KeyFilter] = weakref.WeakValueDictionary()
REFRESH_S = 1.0  # how often a cache reads the keys other processes stored


@atexit.register
def _flush_all() -> None:
    """Write what every open cache still holds in memory before the interpreter exits."""
    for cache in list(_OPEN):
        cache.flush()


def cache_key(
    model: str, messages: Any, params: dict[str, Any], sample: int, digest: str | None = None
) -> str:
    """A stable hash of one call's inputs; ``digest`` is the messages' `messages_digest` when the
    caller already has it (the messages are then not encoded again)."""
    digest = digest or messages_digest(messages)
    blob = json.dumps([model, digest, params, sample], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class KeyFilter:
    """Which keys may be in a cache directory: a Bloom filter (2 MiB, four bits per key).

    ``may_hold`` is False only for a key that was neither seen on disk nor added here, so a
    "no" skips the database; a rare false "yes" costs one ordinary lookup. `refresh` reads the
    keys stored since the last refresh (by rowid), from any process; when the table shrank or its
    rowids went back (a clear, an eviction of the newest rows), it reads every key again.
    """

    BITS = 1 << 24

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS // 8)
        self.ready = False  # True once every key on disk at some moment has been read
        self.checked = 0.0  # time.monotonic() of the last refresh (or attempt)
        self._rowid = 0
        self._rows = 0
        self._busy = threading.Lock()  # one refresh at a time
        self._bits = threading.Lock()  # read-modify-write of the bit array

    @staticmethod
    def _slots(key: str) -> tuple[int, ...]:
        d = hashlib.blake2b(key.encode("utf-8"), digest_size=12).digest()
        return tuple(int.from_bytes(d[i : i + 3], "little") for i in (0, 3, 6, 9))

    def add(self, key: str) -> None:
        """Note that ``key`` is (or is about to be) stored."""
        slots = self._slots(key)
        with self._bits:
            for i in slots:
                self.bits[i >> 3] |= 1 << (i & 7)

    def may_hold(self, key: str) -> bool:
        """False when ``key`` is surely not stored; True when it may be."""
        return not self.ready or all(self.bits[i >> 3] >> (i & 7) & 1 for i in self._slots(key))

    def due(self) -> bool:
        """Whether a refresh is due (about once a second, also while a first read failed)."""
        return time.monotonic() - self.checked > REFRESH_S and not self._busy.locked()

    def refresh_soon(self, db: Path) -> None:
        """Refresh in a background thread, so that no request waits for the database."""
        self.checked = time.monotonic()
        threading.Thread(
            target=self.refresh, args=(db,), name="cascade-cache-keys", daemon=True
        ).start()

    def refresh(self, db: Path) -> None:
        """Add the keys stored in ``db`` (diskcache's ``cache.db``) since the last refresh; at
        most one caller at a time does the work, the others return at once."""
        if not self._busy.acquire(blocking=False):
            return
        try:
            self.checked = time.monotonic()
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)
            try:
                rows, top = con.execute("SELECT count(*), max(rowid) FROM Cache").fetchone()
                if (top or 0) < self._rowid or rows < self._rows:
                    self._rowid = 0  # rows went away or rowids restarted: read everything
                found = con.execute(
                    "SELECT rowid, key FROM Cache WHERE rowid > ? ORDER BY rowid", (self._rowid,)
                ).fetchall()
            finally:
                con.close()
            for rowid, key in found:
                if isinstance(key, str):
                    self.add(key)
                self._rowid = rowid
            self._rows = rows
            self.ready = True
        except sqlite3.Error:
            pass  # tried again when next due; while not ready, every lookup reads the database
        finally:
            self._busy.release()


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
            return
        self._db = self.directory / "cache.db"
        where = str(self.directory.resolve())
        self._filter = _FILTERS.get(where) or _FILTERS.setdefault(where, KeyFilter())
        if not self._filter.ready:  # read the keys on disk without delaying the first request
            self._filter.refresh_soon(self._db)

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
        keys = self._filter
        if keys.due():
            keys.refresh_soon(self._db)  # other processes' new keys, about once a second
        if not keys.may_hold(key):
            return None
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
        self._filter.add(key)
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
            with self._lock:
                self._pending.clear()
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
