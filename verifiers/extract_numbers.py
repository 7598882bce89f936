"""Find numbers in free text and write them in one canonical, hashable form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "NumberMatch",
    "canonical_number",
    "clean_latex",
    "find_numbers",
    "parse_number",
    "word_number",
]

_MAX_DENOMINATOR = 1000
_MAX_DIGITS = 9

_DECIMAL = r"(?:\d{1,3}(?:[,\u2009\u202f]\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
_NUMBER = re.compile(
    r"(?<![\w./])"
    r"(?P<sign>[-\u2212]?)"
    r"(?:(?P<whole>\d+) (?P<mnum>\d+)/(?P<mden>\d+)"
    r"|(?P<num>\d+)/(?P<den>\d+)"
    rf"|(?P<dec>{_DECIMAL})(?:[eE](?P<exp>[-+]?\d{{1,3}}))?)"
    r"(?![/\d])"
)
# fmt: off
_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
# fmt: on
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_NUMBER_WORD = re.compile(
    rf"\W*(?P<first>{'|'.join(_UNITS + _TENS)})(?:-(?P<second>{'|'.join(_UNITS[1:10])}))?"
    r"\b(?![\s-]*(?:hundred|thousand|million|billion|point)\b)",
    re.IGNORECASE,
)
_LATEX_FRAC = re.compile(r"\\[dt]?frac\{\s*(-?\d+)\s*\}\{\s*(\d+)\s*\}")
_LATEX_NOISE = re.compile(r"\\[!,;: ]|\{,\}|\\\$")


@dataclass(frozen=True)
class NumberMatch:
    """A number found in text: its exact value and where it was written."""

    value: Fraction
    start: int
    end: int


def clean_latex(text: str) -> str:
    """Rewrite `\\frac{3}{4}` as `3/4` and drop LaTeX spacing such as `\\,` and `{,}`."""
    text = _LATEX_FRAC.sub(lambda m: f"{m.group(1)}/{m.group(2)}", text)
    return _LATEX_NOISE.sub(lambda m: "," if m.group(0) == "{,}" else "", text)


def _value(match: re.Match[str]) -> Fraction | None:
    """The exact value of one regex match, or None for a zero denominator."""
    sign = -1 if match.group("sign") else 1
    if match.group("whole") is not None:
        den = int(match.group("mden"))
        if den == 0:
            return None
        return sign * (int(match.group("whole")) + Fraction(int(match.group("mnum")), den))
    if match.group("num") is not None:
        den = int(match.group("den"))
        return None if den == 0 else sign * Fraction(int(match.group("num")), den)
    digits = re.sub(r"[,\u2009\u202f]", "", match.group("dec"))
    value = Fraction(digits)
    if match.group("exp") is not None:
        value *= Fraction(10) ** int(match.group("exp"))
    return sign * value


def find_numbers(text: str) -> Iterator[NumberMatch]:
    """Yield every number in `text`, left to right; dates such as 5/2/2021 yield nothing."""
    for match in _NUMBER.finditer(text):
        value = _value(match)
        if value is not None:
            yield NumberMatch(value, match.start(), match.end())


def parse_number(text: str) -> Fraction | None:
    """The value of `text` when it holds exactly one number, else None."""
    found = list(find_numbers(clean_latex(text)))
    return found[0].value if len(found) == 1 else None


def word_number(text: str) -> Fraction | None:
    """A number written as one English word (`five`, `twenty-one`) opening `text`, else None."""
    match = _NUMBER_WORD.match(text)
    if match is None:
        return None
    first = match["first"].lower()
    value = _UNITS.index(first) if first in _UNITS else 10 * (_TENS.index(first) + 2)
    second = match["second"]
    return Fraction(value + (_UNITS.index(second.lower()) if second else 0))


def _terminates(value: Fraction) -> int | None:
    """Decimal places needed to write `value` exactly, or None if it never terminates."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    return max(twos, fives) if den == 1 else None


def _decimal(value: Fraction, places: int) -> str:
    """Write a terminating `value` with exactly the places it needs."""
    scaled = abs(value.numerator * 10**places // value.denominator)
    whole, frac = divmod(scaled, 10**places)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{frac:0{places}d}".rstrip("0").rstrip(".") if places else f"{value}"


def _near(value: Fraction, integer: Fraction) -> bool:
    """Whether `value` is `integer` up to approximation noise (1e-6 relative, 1e-5 absolute)."""
    gap = abs(value - integer)
    return gap < Fraction(1, 10**5) and gap <= abs(value) / 10**6


def canonical_number(value: Fraction) -> str:
    """One string per number: `42`, `-0.75`, `1/3`; float noise is snapped or rounded away.

    A value within 1e-6 (relative) of an integer is that integer (`167.99999991` is `168`,
    the noise of `0.333333333` in a sum). Otherwise values with at most 9 decimal places print
    as exact decimals; simple fractions (denominator up to 1000) print as `p/q`; anything else
    is snapped to a simple fraction within a relative 1e-9 (`0.3333333333333333` is `1/3`)
    or else rounded to 9 decimal places (`20.000040000000002` is `20.00004`).
    """
    nearest = round(value)
    if value.denominator != 1 and _near(value, Fraction(nearest)):
        return str(nearest)
    places = _terminates(value)
    if value.denominator == 1 or (places is not None and places <= _MAX_DIGITS):
        return _decimal(value, places or 0)
    if value.denominator <= _MAX_DENOMINATOR:
        return f"{value.numerator}/{value.denominator}"
    snapped = value.limit_denominator(_MAX_DENOMINATOR)
    if abs(snapped - value) <= Fraction(1, 10**_MAX_DIGITS) * max(Fraction(1), abs(value)):
        return canonical_number(snapped)
    return canonical_number(round(value, _MAX_DIGITS))
