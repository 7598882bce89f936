"""Checked reads of decoded JSON fields; failures name the file, line and field."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NoReturn, TypeAlias

Json: TypeAlias = "str | int | float | bool | tuple[Json, ...] | Mapping[str, Json] | None"

_MISSING: Any = object()
_SPACE = re.compile(r"[ \t\n\r]*")
_LAST_STEP = re.compile(r"(?:^|\.)[^.\[\]]*$|\[\d+\]$")


class RecordingError(ValueError):
    """A recording is malformed; the message names the file, the line and the field."""


@dataclass(frozen=True)
class Origin:
    """Where decoded JSON came from: a file name, a line, and optionally a line per field path."""

    file: str
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int:
        """The line of the field at `path`, or of its nearest enclosing field that is known."""
        while path not in self.lines and path:
            path = _LAST_STEP.sub("", path)
        return self.lines.get(path, self.line)

    def fail(self, path: str, problem: str) -> NoReturn:
        """Raise a RecordingError saying that the field at `path` has `problem`."""
        what = f"field '{path}'" if path else "the JSON value"
        raise RecordingError(f"{self.file} line {self.line_of(path)}: {what} {problem}")

    def expected(self, path: str, expected: str, value: object) -> NoReturn:
        """Raise a RecordingError saying the field at `path` should be `expected`."""
        if value is _MISSING:
            self.fail(path, f"is missing (expected {expected})")
        self.fail(path, f"must be {expected}, got {show(value)}")


@dataclass(frozen=True)
class Fields:
    """A decoded JSON object whose fields are read with a check of their type."""

    data: Mapping[str, Any]
    origin: Origin
    path: str = ""

    @classmethod
    def of(cls, value: object, origin: Origin, path: str = "") -> Fields:
        """Wrap `value`, which must be a JSON object."""
        if not isinstance(value, dict):
            origin.expected(path, "an object", value)
        return cls(value, origin, path)

    def at(self, key: str) -> str:
        """The path of the field `key` of this object."""
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str) -> Any:
        """The field's decoded value, unchecked; a missing field is a RecordingError."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            self.origin.expected(self.at(key), "any JSON value", value)
        return value

    def string(self, key: str) -> str:
        """A required string field."""
        value = self.data.get(key, _MISSING)
        if not isinstance(value, str):
            self.origin.expected(self.at(key), "a string", value)
        return value

    def optional_string(self, key: str) -> str | None:
        """A string field that may be null or absent."""
        return None if self.data.get(key) is None else self.string(key)

    def boolean(self, key: str) -> bool:
        """A required boolean field."""
        value = self.data.get(key, _MISSING)
        if not isinstance(value, bool):
            self.origin.expected(self.at(key), "a boolean", value)
        return value

    def count(self, key: str) -> int:
        """A required non-negative integer field."""
        value = self.data.get(key, _MISSING)
        if not _is_int(value) or value < 0:
            self.origin.expected(self.at(key), "a non-negative integer", value)
        return int(value)

    def optional_count(self, key: str) -> int | None:
        """A non-negative integer field that may be null or absent."""
        return None if self.data.get(key) is None else self.count(key)

    def number(self, key: str, *, signed: bool = False) -> float:
        """A required finite number field, non-negative unless `signed`."""
        value = self.data.get(key, _MISSING)
        if not _is_number(value) or (value < 0 and not signed):
            self.origin.expected(self.at(key), _number_kind(signed), value)
        return float(value)

    def optional_number(self, key: str, *, signed: bool = False) -> float | None:
        """A finite number field that may be null or absent."""
        return None if self.data.get(key) is None else self.number(key, signed=signed)

    def object(self, key: str) -> Fields:
        """A required object field."""
        return Fields.of(self.data.get(key, _MISSING), self.origin, self.at(key))

    def array(self, key: str, *, nonempty: bool = False) -> list[Any]:
        """A required array field, with at least one item if `nonempty`."""
        value = self.data.get(key, _MISSING)
        if not isinstance(value, list) or (nonempty and not value):
            kind = "a non-empty array" if nonempty else "an array"
            self.origin.expected(self.at(key), kind, value)
        return value


def parse_json(raw: bytes, origin: Origin) -> object:
    """Decode UTF-8 JSON that starts on `origin`'s line."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RecordingError(f"{origin.file} line {origin.line}: not UTF-8 ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        line = origin.line + exc.lineno - 1
        raise RecordingError(
            f"{origin.file} line {line}: not valid JSON ({exc.msg}, column {exc.colno})"
        ) from exc


def show(value: object, limit: int = 60) -> str:
    """A short JSON rendering of a decoded value for an error message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def freeze(value: Any) -> Json:
    """A read-only copy of decoded JSON: objects become mapping proxies, arrays tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(freeze(item) for item in value)
    scalar: Json = value
    return scalar


def value_lines(text: str) -> dict[str, int]:
    """Map each field path of a valid JSON document to the line where its value starts."""
    lines: dict[str, int] = {}
    decoder = json.JSONDecoder()

    def walk(at: int, path: str) -> int:
        at = _skip_space(text, at)
        if path or path not in lines:  # a top-level "" key must not move the root
            lines[path] = text.count("\n", 0, at) + 1
        opener = text[at]
        if opener not in "{[":
            return decoder.raw_decode(text, at)[1]
        at, index = at + 1, 0
        while True:
            at = _skip_space(text, at)
            if text[at] in "]}":
                return at + 1
            if opener == "{":
                key, at = decoder.raw_decode(text, at)
                at = text.index(":", at) + 1
                step = f"{path}.{key}" if path else str(key)
            else:
                step = f"{path}[{index}]"
            at = _skip_space(text, walk(at, step))
            at, index = at + (text[at] == ","), index + 1

    walk(0, "")
    return lines


def _skip_space(text: str, at: int) -> int:
    space = _SPACE.match(text, at)
    return space.end() if space else at


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number_kind(signed: bool) -> str:
    return "a finite number" if signed else "a non-negative finite number"
