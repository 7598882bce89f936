"""Trace events: one flat JSON object per step of a request, appended whole to JSONL sinks.

Kinds: ``call`` (a model call answered), ``cache_hit`` (answered from the cache, cost 0),
``error`` (a call failed; ``retry`` tells whether it will be tried again), ``verdict`` (one
verifier's judgement of a tier), ``accept``, ``escalate``, ``budget`` (stopped before a call that
would pass the budget), ``exhausted`` (no tier accepted), ``explore`` (a tier above the accepted
one, or one left out on price, run only to collect tuning data), ``skip`` (a tier left out because
it cannot save money), ``route`` (the policy's pre-router chose the first tier) and ``feedback``
(the caller's word on the answer).
Decisions carry ``answer``, a fingerprint of the tier's answer, so that tiers can be compared,
and ``explored`` when the request was picked to run every tier.
Prompts appear as ``prompt_hash``; the text only when the caller opts in. Error messages are
scrubbed of secrets.
"""

from __future__ import annotations

import json
import operator
import os
import re
import time
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from json import encoder as _json
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


def line_of(event: Event) -> str:
    """The event as one JSON line, newline included."""
    return "".join(_encode(event.to_dict(), 0)) + "\n"


_FIELDS = tuple(f.name for f in fields(Event))
_values = operator.attrgetter(*_FIELDS)
# one compact, non-ASCII-preserving encoder for every event: json.dumps would build it per call
_make_encoder = getattr(_json, "c_make_encoder", None)


def _encode_slow(obj: dict[str, Any], level: int) -> Iterable[str]:
    """Interpreters without CPython's C accelerator (``c_make_encoder`` is None there)."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_plain),)


_encode: Callable[[dict[str, Any], int], Iterable[str]] = (
    _make_encoder(None, _plain, _json.encode_basestring, None, ":", ",", False, False, True)
    if _make_encoder is not None
    else _encode_slow
)


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
