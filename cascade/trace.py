"""Trace events: one flat JSON object per step of a request, appended whole to JSONL sinks.

Kinds: ``call`` (a model call answered), ``cache_hit`` (answered from the cache, cost 0),
``error`` (a call failed; ``retry`` tells whether it will be tried again), ``verdict`` (one
verifier's judgement of a tier), ``accept``, ``escalate``, ``budget`` (stopped before a call that
would pass the budget), ``exhausted`` (no tier accepted), ``explore`` (a tier above the accepted
one, run only to collect tuning data), ``route`` (the policy's pre-router chose the first tier)
and ``feedback`` (the caller's word on the answer).
Decisions carry ``answer``, a fingerprint of the tier's answer, so that tiers can be compared,
and ``explored`` when the request was picked to run every tier.
Prompts appear as ``prompt_hash``; the text only when the caller opts in. Error messages are
scrubbed of secrets.
"""

from __future__ import annotations

import asyncio
import atexit
import fcntl
import json
import operator
import os
import re
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from json import encoder as _json
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
Sink = Callable[["Event"], None]


@dataclass(frozen=True, slots=True)
class Event:
    """One step of one request; ``None`` fields are left out of the JSON line."""

    run_id: str
    step: int
    kind: str
    t: float
    policy: str
    prompt_hash: str
    tier: int | None = None
    model: str | None = None
    sample: int | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    name: str | None = None
    score: float | None = None
    passed: bool | None = None
    reason: str | None = None
    error: str | None = None
    retry: bool | None = None
    answer: str | None = None
    explored: bool | None = None
    prompt: str | None = None
    text: str | None = None
    v: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The event as a flat dict without ``None`` fields."""
        return {k: v for k, v in zip(_FIELDS, _values(self), strict=True) if v is not None}

    def to_json(self) -> str:
        """The event as one JSON line (no trailing newline)."""
        return "".join(_encode(self.to_dict(), 0))


def _plain(obj: object) -> Any:
    """A JSON-ready stand-in for a field value JSON has no type for (a trace never fails)."""
    item = getattr(obj, "item", None)  # numpy scalars
    return item() if callable(item) else str(obj)


def _line(event: Event) -> str:
    return "".join(_encode(event.to_dict(), 0)) + "\n"


_FIELDS = tuple(f.name for f in fields(Event))
_values = operator.attrgetter(*_FIELDS)
# one compact, non-ASCII-preserving encoder for every event: json.dumps would build it per call
_make_encoder = getattr(_json, "c_make_encoder", None)


def _encode_slow(obj: dict[str, Any], level: int) -> Iterable[str]:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_plain),)


_encode: Callable[[dict[str, Any], int], Iterable[str]] = (
    _make_encoder(None, _plain, _json.encode_basestring, None, ":", ",", False, False, True)
    if _make_encoder is not None
    else _encode_slow
)


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
                        self._write(files[start], "".join([_line(e) for e in held[start:k]]))
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


def flush_sinks(sinks: Iterable[Sink]) -> None:
    """Write what the given sinks hold (sinks without a ``flush`` method are left alone). A sink
    that fails warns; it never fails the request, nor keeps the others from writing."""
    for sink in sinks:
        flush = getattr(sink, "flush", None)
        if callable(flush):
            try:
                flush()
            except Exception as exc:
                warnings.warn(
                    f"cascade: a trace sink failed: {exc!r}", RuntimeWarning, stacklevel=2
                )


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """Read a trace file (or every ``*.jsonl`` in a directory) back as dicts."""
    p = Path(path)
    files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    out: list[dict[str, Any]] = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            out.extend(json.loads(line) for line in fh if line.strip())
    return out


_SECRET_PATTERNS = (
    (re.compile(r"sk-[A-Za-z0-9_\-]{8,}"), "[redacted]"),
    (
        re.compile(
            r"(?i)((?:api[_-]?key|authorization|x-api-key|token|secret)[\"']?\s*[:=]\s*"
            r"[\"']?(?:bearer\s+)?)[^\s\"',}]{8,}"
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',}]{8,}"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    """Remove API keys and credential-looking values from a message."""
    for name, value in os.environ.items():
        if len(value) >= 8 and any(s in name.upper() for s in ("KEY", "TOKEN", "SECRET")):
            text = text.replace(value, "[redacted]")
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


class Tracer:
    """Numbers and timestamps one request's events, keeps them, and sends them to the sinks."""

    def __init__(
        self,
        policy: str,
        prompt_hash: str,
        sinks: Iterable[Sink],
        prompt: str | None = None,
        keep_text: bool = False,
    ):
        self.run_id = uuid.uuid4().hex
        self.policy = policy
        self.prompt_hash = prompt_hash
        self.sinks = tuple(sinks)
        self.events: list[Event] = []
        self.keep_text = keep_text
        self._prompt = prompt

    def emit(self, kind: str, **fields: Any) -> Event:
        """Record one step and hand it to every sink."""
        if fields.get("error") is not None:
            fields["error"] = redact(str(fields["error"]))
        if not self.keep_text:
            fields.pop("text", None)
        elif not self.events and self._prompt is not None:
            fields.setdefault("prompt", self._prompt)
        event = Event(
            self.run_id,
            len(self.events),
            kind,
            time.time(),
            self.policy,
            self.prompt_hash,
            **fields,
        )
        self.events.append(event)
        for sink in self.sinks:
            sink(event)
        return event

    def flush(self) -> None:
        """Have the sinks write what they hold (before work that blocks the event loop)."""
        flush_sinks(self.sinks)
