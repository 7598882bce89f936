"""Trace events: one flat JSON object per step of a request, appended whole to JSONL sinks.

Kinds: ``call`` (a model call answered), ``cache_hit`` (answered from the cache, cost 0),
``error`` (a call failed; ``retry`` tells whether it will be tried again), ``verdict`` (one
verifier's judgement of a tier), ``accept``, ``escalate``, ``budget`` (stopped before a call that
would pass the budget) and ``exhausted`` (no tier accepted). Prompts appear as ``prompt_hash``;
the text only when the caller opts in. Error messages are scrubbed of secrets.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
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
    prompt: str | None = None
    text: str | None = None
    v: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The event as a flat dict without ``None`` fields."""
        return {k: v for k in _FIELDS if (v := getattr(self, k)) is not None}

    def to_json(self) -> str:
        """The event as one JSON line (no trailing newline)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


_FIELDS = tuple(f.name for f in fields(Event))


class JsonlSink:
    """Appends each event as one whole line to a JSONL file, safe across threads and processes.

    ``path`` is a ``.jsonl`` file, or a directory that gets one file per UTC day. Each line is
    written with a single ``write`` on an ``O_APPEND`` descriptor under an exclusive ``flock``, so
    concurrent writers never interleave or tear lines, and a crash leaves every earlier line whole.
    An unwritable location warns once and drops events instead of failing requests.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._fd_path: Path | None = None
        self._broken = False
        self._day = -1
        self._day_file = self.path

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
        """Write one event."""
        if self._broken:
            return
        data = (event.to_json() + "\n").encode("utf-8")
        with self._lock:
            try:
                fd = self._open(self.file_for(event.t))
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError as exc:
                self._broken = True
                warnings.warn(
                    f"cascade: trace disabled, cannot write {self.path}: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def _open(self, path: Path) -> int:
        if self._fd is None or self._fd_path != path:
            self.close()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._fd_path = path
        return self._fd

    def close(self) -> None:
        """Close the open file, if any."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()


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
