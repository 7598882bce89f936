"""Small JSON Schema builders and the draft a JSON-extraction template produces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.suites.words import number_words

__all__ = [
    "Draft",
    "array",
    "boolean",
    "integer",
    "nullable",
    "number",
    "obj",
    "say",
    "string",
    "without_article",
]

Schema = dict[str, Any]


def string(description: str | None = None) -> Schema:
    """A string property, with a format hint as its description."""
    return {"type": "string", **({"description": description} if description else {})}


def integer(description: str | None = None) -> Schema:
    """An integer property."""
    return {"type": "integer", **({"description": description} if description else {})}


def number(description: str | None = None) -> Schema:
    """A number property."""
    return {"type": "number", **({"description": description} if description else {})}


def boolean() -> Schema:
    """A boolean property."""
    return {"type": "boolean"}


def nullable(schema: Schema) -> Schema:
    """``schema`` that also allows null (for optional fields the text may not give)."""
    return {**schema, "type": [schema["type"], "null"]}


def array(items: Schema) -> Schema:
    """An array of ``items``."""
    return {"type": "array", "items": items}


def obj(properties: dict[str, Schema]) -> Schema:
    """A closed object whose properties are all required (optional ones are nullable)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def without_article(name: str) -> list[str]:
    """``name`` without a leading "the"/"The", when it has one: the other reading of a name that
    a sentence puts "the" before ("at the Old Library", "the Ember team")."""
    head, _, rest = name.partition(" ")
    return [rest] if head.lower() == "the" and rest else []


def say(n: int, words: bool) -> str:
    """``n`` in digits, or in words when ``words`` (a difficulty knob)."""
    return number_words(n) if words else str(n)


@dataclass(slots=True)
class Draft:
    """What a template builds: the schema, the expected object and the text's sentences."""

    template: str
    level: int
    properties: dict[str, Schema] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    facts: list[str] = field(default_factory=list)
    distractors: list[str] = field(default_factory=list)
    nulls: int = 0
    accepted: dict[str, list[Any]] = field(default_factory=dict)

    def add(
        self,
        name: str,
        schema: Schema,
        value: Any,
        fact: str | None = None,
        also: Sequence[Any] = (),
    ) -> None:
        """Declare a field with its expected value, and the sentence that states it. ``also``:
        other values that read the text as well (a venue with or without the article the
        sentence puts before it), graded as right."""
        self.properties[name] = schema
        self.expected[name] = value
        if also:
            self.accepted[name] = list(also)
        if fact:
            self.facts.append(fact)

    def optional(self, name: str, schema: Schema, value: Any, fact: str, *, present: bool) -> None:
        """Declare a nullable field: stated by ``fact`` when ``present``, else expected null."""
        self.properties[name] = nullable(schema)
        self.expected[name] = value if present else None
        if present:
            self.facts.append(fact)
        else:
            self.nulls += 1

    @property
    def schema(self) -> Schema:
        """The JSON Schema of the expected object."""
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **obj(self.properties)}
