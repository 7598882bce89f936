"""Fenced blocks in model answers: Markdown ``` / ~~~ fences and `[PYTHON]...[/PYTHON]` tags."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Fence", "fenced_blocks"]

_OPEN = re.compile(r"(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+#.-]*)[^\n`]*\n")
_TAGGED = re.compile(r"\[PYTHON\][ \t]*\n?(?P<body>.*?)(?P<close>\[/PYTHON\]|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Fence:
    """One fenced block: its language tag (lower case, may be empty) and body with offsets."""

    lang: str
    body: str
    start: int
    end: int
    closed: bool


def _markdown(text: str) -> list[Fence]:
    """Markdown fences, left to right; an unclosed last fence runs to the end of the text."""
    found: list[Fence] = []
    pos = 0
    while (match := _OPEN.search(text, pos)) is not None:
        fence = match.group("fence")
        close = text.find(fence, match.end())
        closed = close >= 0
        body_end = close if closed else len(text)
        end = body_end + len(fence) if closed else body_end
        while end < len(text) and text[end] == fence[0]:
            end += 1
        found.append(
            Fence(
                match.group("lang").lower(),
                text[match.end() : body_end],
                match.start(),
                end,
                closed,
            )
        )
        pos = end
    return found


def _tagged(text: str) -> list[Fence]:
    """`[PYTHON] ... [/PYTHON]` blocks as written by some code models."""
    return [
        Fence("python", m.group("body"), m.start(), m.end(), bool(m.group("close")))
        for m in _TAGGED.finditer(text)
        if m.group("body").strip()
    ]


def fenced_blocks(text: str) -> list[Fence]:
    """Every fenced block of `text` in order of position."""
    return sorted(_markdown(text) + _tagged(text), key=lambda fence: fence.start)
