"""Dates in answers, written one way: zero-padded `MM/DD/YYYY`."""

from __future__ import annotations

import re

__all__ = ["last_date"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_PATTERNS = (
    re.compile(r"(?<![\d/])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})(?![\d/])"),
    re.compile(r"(?<![\d/-])(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})(?![\d/-])"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
)


def _month(text: str) -> int:
    """A month number from digits or an English name."""
    return int(text) if text.isdigit() else _MONTHS[text.lower()]


def last_date(text: str) -> str | None:
    """The last date written in `text` as `MM/DD/YYYY`, or None.

    Reads `5/2/2021` (month first, kept as written, only zero-padded), `2021-05-02`,
    `2021/05/02`, `May 2, 2021`, `Sept. 2nd 2021` and `2 May 2021`.
    """
    best: tuple[int, str] | None = None
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            month = _month(match.group("month"))
            key = f"{month:02d}/{int(match.group('day')):02d}/{match.group('year')}"
            if best is None or match.start() > best[0]:
                best = (match.start(), key)
    return best[1] if best else None
