"""The option letter a multiple-choice answer picks, by letter or by the option's text."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence

from cascade.verifiers.extract_qa import normalize_text

__all__ = ["Choices", "choices_from_prompt", "extract_choice", "letter_map"]

Choices = Mapping[str, str] | Sequence[str]

_DEFAULT_LETTERS = "ABCDE"
_MARKERS = (
    re.compile(
        r"\banswer\s*(?:is|:)\s*(?:option|choice)?\s*[:\-]?\s*(?P<p>\()?(?P<l>[A-Za-z])\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:correct|right|best)\s+(?:answer|option|choice)\s*(?:is|:|would\s+be)?\s*"
        r"(?:option|choice)?\s*(?P<p>\()?(?P<l>[A-Za-z])\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:option|choice)\s*(?P<p>\()?(?P<l>[A-Za-z])\)?\s+is\s+(?:the\s+)?"
        r"(?:correct|right|best|answer)",
        re.IGNORECASE,
    ),
)
_LEADING = re.compile(r"\s*(?P<p>\()?(?P<l>[A-Za-z])(?P<after>\)|\.|:|,|\s*$|\s+(?=[A-Z(\-]))")
_OPTION_LINE = re.compile(r"^[ \t]*\(?(?P<l>[A-Z])[).:][ \t]+(?P<t>\S.*?)[ \t]*$", re.MULTILINE)
_MIN_PREFIX = 3


def letter_map(choices: Choices | None) -> dict[str, str]:
    """Choices as `{"A": text, ...}`: a mapping keeps its letters, a list is lettered A, B, ..."""
    if choices is None:
        return {}
    if isinstance(choices, Mapping):
        return {str(k).strip().upper(): str(v) for k, v in choices.items()}
    return {
        letter: re.sub(rf"^\s*\(?{letter}[).:]\s*", "", str(text))
        for letter, text in zip(string.ascii_uppercase, choices, strict=False)
    }


def choices_from_prompt(prompt: str) -> dict[str, str]:
    """The last run of `A) ...` / `B) ...` option lines in a prompt, as `{"A": text, ...}`."""
    runs: list[dict[str, str]] = []
    expected = "A"
    for match in _OPTION_LINE.finditer(prompt):
        letter = match.group("l")
        if letter == "A":
            runs.append({})
        elif letter != expected or not runs:
            continue
        runs[-1][letter] = match.group("t")
        expected = chr(ord(letter) + 1)
    return runs[-1] if runs else {}


def _letter_ok(match: re.Match[str], letters: str) -> str | None:
    """The upper-case letter of a match if it is an offered option; a bare `a` is an article."""
    letter = match.group("l")
    if letter.upper() not in letters:
        return None
    after = match.string[match.end("l") :]
    if letter.islower() and not match.group("p") and re.match(r"\s+[a-z]", after):
        return None
    return letter.upper()


def _by_letter(text: str, letters: str) -> str | None:
    """A letter stated explicitly (`Answer: C`), else one leading the answer (`(B)`, `A.`)."""
    for pattern in _MARKERS:
        for match in pattern.finditer(text):
            letter = _letter_ok(match, letters)
            if letter:
                return letter
    leading = _LEADING.match(text)
    return None if leading is None else _letter_ok(leading, letters)


def _one_of(hits: list[str], texts: Mapping[str, str], longest: bool) -> str | None:
    """The single hit; with `longest`, the hit with the longest option text if unique."""
    if longest and hits:
        size = max(len(texts[hit]) for hit in hits)
        hits = [hit for hit in hits if len(texts[hit]) == size]
    return hits[0] if len(hits) == 1 else None


def _by_text(text: str, options: Mapping[str, str]) -> str | None:
    """The option whose text the answer gives: exactly, at its start, truncated, or inside."""
    said = normalize_text(text)
    if not said:
        return None
    texts = {letter: normalize_text(option) for letter, option in options.items()}
    tests: list[tuple[Callable[[str], bool], bool]] = [
        (lambda o: said == o, False),
        (lambda o: said.startswith(o + " "), True),
        (lambda o: len(said) >= _MIN_PREFIX and o.startswith(said), False),
        (lambda o: f" {o} " in f" {said} ", True),
    ]
    for test, longest in tests:
        hits = [letter for letter, o in texts.items() if o and test(o)]
        if hits:
            return _one_of(hits, texts, longest)
    return None


def extract_choice(text: str, choices: Choices | None = None) -> str | None:
    """The chosen option as an upper-case letter, or None.

    Letters come from markers (`Answer: C`, `The correct option is B`, `(b) is correct`) or
    lead the answer (`B`, `(B)`, `B)`, `b.`); a lone lower-case `a` before a word is read as an
    article. With `choices` (a list, lettered A, B, ..., or a letter mapping), a letter must
    be one of them, and an answer that gives an option's text (`Dennis`, or a truncated
    `Vict`) maps to that option's letter. Without choices, letters A-E are accepted.
    """
    options = letter_map(choices)
    letters = "".join(options) or _DEFAULT_LETTERS
    stripped = text.strip()
    if not stripped:
        return None
    letter = _by_letter(stripped, letters)
    if letter is not None:
        return letter
    return _by_text(stripped, options) if options else None
