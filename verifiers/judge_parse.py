"""Read a 0-10 score out of a judge model's reply, and nothing but the reply.

The reply is first stripped of what it echoes: text between the call's own tags, quoted ``> ``
data lines, and lines repeating a line of the prompt sent. Then, in order: JSON
``"score": n``; a labelled score (``Score: 7/10``, ``rating = 7``, ``**Grade:** 7``); a fraction
(``7/10``, ``7 out of 10``, ``3/5``, ``70%``); a reply that is just a number. Number words count
as digits (``seven out of ten``). Failing those, a few quality words map conservatively
(``excellent`` 8, ``good`` 6, ``poor`` 2; a negation anywhere gives 0). Several different scores:
the lowest. A score above its scale, or a scale below 1, is not read; a negative score reads as
0. Nothing found: None.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["parse_score"]

_NUM = r"[-+]?\d+(?:\.\d+)?"
_JSON = re.compile(rf"""["']score["']\s*:\s*["']?\s*({_NUM})""", re.IGNORECASE)
_LABEL = re.compile(
    rf"\b(?:score|rating|grade|mark|rated|rate|verdict)\**\s*(?:is|of|=|:|-)?\**\s*({_NUM})"
    rf"(?:\s*(?:/|out\s+of|of)\s*({_NUM}))?(\s*%)?",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    rf"(?<![\w./])({_NUM})\s*(?:/|out\s+of)\s*(\d+(?:\.\d+)?)(?![\w/]|\.\d)", re.IGNORECASE
)
_PERCENT = re.compile(rf"(?<![\w./])({_NUM})\s*%")
_BARE = re.compile(rf"[\s*_`'\"\[\](){{}}]*({_NUM})[\s*_`'\"\[\](){{}}.!]*")
_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_NUMBER_WORD = re.compile(rf"\b({'|'.join(_WORDS)})\b", re.IGNORECASE)
_QUALITY = {
    "perfect": 8, "excellent": 8, "outstanding": 8, "great": 7, "very good": 7,
    "good": 6, "correct": 6, "fair": 4, "acceptable": 4, "adequate": 4, "okay": 4, "ok": 4,
    "mediocre": 3, "weak": 2, "poor": 2, "bad": 1, "very poor": 1, "terrible": 0,
    "wrong": 0, "incorrect": 0, "useless": 0, "fail": 0, "failed": 0,
}  # fmt: skip
_QUALITY_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _QUALITY), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|no|never|isn't|isnt|hardly|nor)\b|n't\b", re.IGNORECASE)


def _strip_echo(reply: str, nonce: str | None, sent: str) -> str:
    """The reply without text between the call's own tags, quoted data lines, and lines that
    repeat a line of the prompt sent."""
    if nonce:
        tagged = rf"<(request|answer)-{re.escape(nonce)}>.*?(?:</\1-{re.escape(nonce)}>|\Z)"
        reply = re.sub(tagged, " ", reply, flags=re.DOTALL | re.IGNORECASE)
    echoed = {line.strip() for line in sent.split("\n") if line.strip()}
    return "\n".join(
        line
        for line in reply.split("\n")
        if not line.lstrip().startswith(">") and line.strip() not in echoed
    )


def _scaled(value: float, scale: float) -> float | None:
    """``value`` out of ``scale`` on the 0-10 scale; None when above the scale or scale < 1."""
    if scale < 1 or value > scale:
        return None
    return max(value, 0.0) * 10.0 / scale


def _lowest(found: list[float | None]) -> float | None:
    """The lowest score read in range, if any."""
    return min((x for x in found if x is not None), default=None)


def _numbers(text: str) -> tuple[float | None, str]:
    """The score stated with digits, and how it was read."""
    tries: list[tuple[str, list[float | None]]] = [
        ("json", [_scaled(float(m[1]), 10) for m in _JSON.finditer(text)]),
        ("label", [_label(m) for m in _LABEL.finditer(text)]),
        ("fraction", [_scaled(float(m[1]), float(m[2])) for m in _FRACTION.finditer(text)]),
        ("percent", [_scaled(float(m[1]), 100) for m in _PERCENT.finditer(text)]),
    ]
    bare = _BARE.fullmatch(text)
    if bare:
        tries.append(("number", [_scaled(float(bare[1]), 10)]))
    for how, found in tries:
        if found:
            score = _lowest(found)
            if score is None:
                return None, f"{how} score out of range"
            return score, how + (" (lowest of several)" if len(set(found)) > 1 else "")
    return None, "no score"


def _label(match: re.Match[str]) -> float | None:
    value, scale, percent = match[1], match[2], match[3]
    if percent:
        return _scaled(float(value), 100)
    return _scaled(float(value), float(scale) if scale else 10)


def _words(text: str) -> tuple[float | None, str]:
    """A score from quality words: the lowest named, 0 when negated."""
    found = [_QUALITY[m[1].lower()] for m in _QUALITY_WORD.finditer(text)]
    if not found:
        return None, "no score"
    if _NEGATION.search(text):
        return 0.0, "negated quality word"
    return float(min(found)), "quality word"


def parse_score(reply: str, nonce: str | None = None, sent: str = "") -> tuple[float | None, str]:
    """The judge's score on 0-10 (None when unreadable) and how it was read; ``nonce`` and
    ``sent`` (the prompt's text) let echoed data and prompt lines be ignored."""
    text = unicodedata.normalize("NFKC", _strip_echo(reply, nonce, sent)).strip()
    text = _NUMBER_WORD.sub(lambda m: str(_WORDS[m[1].lower()]), text)
    score, how = _numbers(text)
    if score is not None or how != "no score":
        return score, how
    return _words(text)
