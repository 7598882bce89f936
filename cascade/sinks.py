"""`JsonlSink`: trace events appended as whole JSON lines to a file, safe across threads and
processes, gathered per event-loop iteration; and `read_events` to read them back."""

from __future__ import annotations

import asyncio
import atexit
import fcntl
import json
import os
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

from cascade.trace import Event, flush_sinks, line_of


class JsonlSink:
    """Appends each event as one whole line to a JSONL file, safe across threads and processes.

    ``path`` is a ``.jsonl`` file, or a directory that gets one file per UTC day. Lines are
    written with a single ``write`` on an ``O_APPEND`` descriptor under an exclusive ``flock``, so
    concurrent writers never interleave or tear lines, and a crash leaves every earlier line whole.

    Outside an event loop every event is written at once. Inside one, the events of one loop
    step are gathered and written together before the loop next waits (on a model, a sandbox, a
    timer) and before a request returns (`flush`): nothing is held while the process waits on
    the world, and a request's steps cost one write instead of one each. An unwritable location
    warns once and drops events instead of failing requests.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        self._fd: int | None = None
        self._fd_path: Path | None = None
        self._broken = False
        self._day = -1
        self._day_file = self.path
        self._held: list[Event] = []
        # loops with a flush scheduled (weak: a loop closed before its flush ran is forgotten)
        self._loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        _SINKS.add(self)

    def file_for(self, t: float) -> Path:
        """The file an event at time ``t`` goes to."""
        if self.path.suffix == ".jsonl":
            return self.path
        day = int(t // 86400)
        if day != self._day:
            self._day = day
            self._day_file = self.path / (time.strftime("%Y-%m-%d", time.gmtime(t)) + ".jsonl")
        return self._day_file

    def __call__(self, event: Event) -> None:
        """Take one event: written now, or with the rest of this loop step (see the class)."""
        if self._broken:
            return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            self._held.append(event)
            if loop is None:
                self.flush()
            elif loop not in self._loops:
                self._loops.add(loop)
                loop.call_soon(self._flush_for, loop)

    def _flush_for(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._loops.discard(loop)
            self.flush()

    def flush(self) -> None:
        """Write every event taken and not yet written (one ``write`` per file)."""
        with self._lock:
            held, self._held = self._held, []
            if not held or self._broken:
                return
            try:
                files = [self.file_for(e.t) for e in held]
                start = 0
                for k in range(1, len(held) + 1):
                    if k == len(held) or files[k] != files[start]:
                        self._write(files[start], "".join([line_of(e) for e in held[start:k]]))
                        start = k
            except OSError as exc:
                self._broken = True
                warnings.warn(
                    f"cascade: trace disabled, cannot write {self.path}: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def _write(self, path: Path, text: str) -> None:
        fd = self._open(path)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            # a lone surrogate (from a model's text) becomes its JSON escape, not an error
            view = memoryview(text.encode("utf-8", "backslashreplace"))
            while view:
                view = view[os.write(fd, view) :]
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self, path: Path) -> int:
        if self._fd is None or self._fd_path != path:
            self._close_fd()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._fd_path = path
        return self._fd

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        """Write what is held and close the open file, if any."""
        with self._lock:
            self.flush()
            self._close_fd()

    def __del__(self) -> None:
        self.close()


_SINKS: weakref.WeakSet[JsonlSink] = weakref.WeakSet()


@atexit.register
def _flush_sinks() -> None:
    """Write what every sink still holds before the interpreter exits."""
    flush_sinks(list(_SINKS))


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """Read a trace file (or every ``*.jsonl`` in a directory) back as dicts."""
    p = Path(path)
    files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    out: list[dict[str, Any]] = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            out.extend(json.loads(line) for line in fh if line.strip())
    return out
