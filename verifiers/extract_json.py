"""JSON in model answers: found in a fence, as the whole text, or inline; keyed canonically."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Literal

from cascade.verifiers.extract_fences import fenced_blocks

__all__ = ["JsonMatch", "extract_json", "json_key"]

_JSON_LANGS = {"json", "jsonc", "json5", ""}
_MAX_STARTS = 200
_CLOSERS = {"{": "}", "[": "]"}


@dataclass(frozen=True)
class JsonMatch:
    """A parsed JSON value and where it was found: `text[start:end]` is its source."""

    value: Any
    start: int
    end: int
    where: Literal["fence", "whole", "inline"]


class _NotJson(ValueError):
    """Raised for the non-standard constants NaN and Infinity."""


def _reject(name: str) -> Any:
    raise _NotJson(name)


def _parse(text: str) -> tuple[bool, Any]:
    """`(True, value)` when `text` is one strict JSON value, else `(False, None)`."""
    try:
        return True, json.loads(text, parse_constant=_reject)
    except (ValueError, RecursionError):
        return False, None


def _balanced_end(text: str, start: int) -> int | None:
    """The offset just past the bracket closing the one at `start`, strings respected."""
    stack = [_CLOSERS[text[start]]]
    in_string = escaped = False
    for pos in range(start + 1, len(text)):
        ch = text[pos]
        if escaped:
            escaped = False
        elif in_string:
            escaped = ch == "\\"
            in_string = ch != '"'
        elif ch == '"':
            in_string = True
        elif ch in _CLOSERS:
            stack.append(_CLOSERS[ch])
        elif ch in "]}":
            if ch != stack.pop():
                return None
            if not stack:
                return pos + 1
    return None


def _inline(text: str) -> tuple[str, int, int] | None:
    """The first balanced `{...}` or `[...]` that parses, scanning left to right."""
    starts = [i for i, ch in enumerate(text) if ch in _CLOSERS][:_MAX_STARTS]
    for start in starts:
        end = _balanced_end(text, start)
        if end is not None and _parse(text[start:end])[0]:
            return text[start:end], start, end
    return None


def extract_json(text: str) -> JsonMatch | None:
    """The JSON value of an answer with its location, or None when there is none.

    Looks first in fenced blocks tagged `json` (or untagged), then at the whole text, then at
    the first balanced `{...}` / `[...]` that parses. Only strict JSON counts (no NaN).
    A dataclass, not the bare value, is returned so that a JSON `null` differs from no JSON.
    Each call returns a freshly parsed value: callers may change it.
    """
    found = _locate(text)
    if found is None:
        return None
    source, start, end, where = found
    return JsonMatch(_parse(source)[1], start, end, where)


@functools.lru_cache(maxsize=4096)
def _locate(text: str) -> tuple[str, int, int, Literal["fence", "whole", "inline"]] | None:
    """Where `extract_json` finds JSON in `text`: its source, span and kind. Remembered for the
    last 4,096 answers (verifiers and replays look at the same answers again); only the
    location is kept, so that no caller sees another's parsed value."""
    for fence in fenced_blocks(text):
        if fence.lang in _JSON_LANGS and _parse(fence.body)[0]:
            return fence.body, fence.start, fence.end, "fence"
    stripped = text.strip()
    if stripped and _parse(stripped)[0]:
        start = text.index(stripped)
        return stripped, start, start + len(stripped), "whole"
    inline = _inline(text)
    return None if inline is None else (*inline, "inline")


def _plain(value: Any) -> Any:
    """Integral floats as ints (JSON has one number type), recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def json_key(value: Any) -> str:
    """The canonical serialization of a JSON value: sorted keys, no spaces, `1.0` as `1`."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
