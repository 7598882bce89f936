"""Short free-text answers, normalized so that equal answers compare equal."""

from __future__ import annotations

import re
import unicodedata

from cascade.verifiers.extract_dates import last_date

__all__ = ["extract_qa", "normalize_qa", "normalize_text", "strip_continuation"]

_CONTINUATION = re.compile(r"\n[ \t#*>]*(?:Q|Question)[ \t*]*:", re.IGNORECASE)
_LINE_MARKER = re.compile(r"^[ \t]*(?:A|Answer|Final answer)[ \t]*:[ \t]*(?P<a>.*)$", re.I | re.M)
_PHRASE_MARKER = re.compile(r"\b(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*(?P<a>.*)$", re.I | re.M)
_COPULA = re.compile(r"^.*\b(?:is|are|was|were|be)\s+(?P<a>.+)$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_MAX_WORDS = 20
_SHORT = 4


def strip_continuation(text: str) -> str:
    """Cut a runaway continuation: everything from a later line that opens a new `Q:`."""
    match = _CONTINUATION.search(text)
    return text[: match.start()] if match else text


def _kept(text: str, index: int) -> bool:
    """Whether a punctuation mark sits between two digits (`3.5`, `1,000`, `1/2`)."""
    return 0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()


def normalize_text(text: str) -> str:
    """Lower case, no punctuation (except inside numbers), no articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(
        ch
        for i, ch in enumerate(text)
        if not unicodedata.category(ch).startswith(("P", "S")) or _kept(text, i)
    )
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def normalize_qa(text: str) -> str:
    """The key of an answer span: its last date as `MM/DD/YYYY` if it has one, else its text."""
    return last_date(text) or normalize_text(text)


def _marked(text: str) -> str | None:
    """The span after the last explicit marker (`A: ...`, `Answer: ...`, `the answer is ...`)."""
    spans = [
        (m.start(), m.group("a"))
        for pattern in (_LINE_MARKER, _PHRASE_MARKER)
        for m in pattern.finditer(text)
        if m.group("a").strip()
    ]
    return _SENTENCE_END.split(max(spans)[1])[0] if spans else None


def _last_sentence(text: str) -> str | None:
    """The last sentence of the last non-empty line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    return _SENTENCE_END.split(lines[-1])[-1]


def extract_qa(text: str) -> str | None:
    """The normalized short answer of `text`, or None.

    The span is the one after the last marker (an `A:` or `Answer:` line, `the answer is`),
    after cutting a runaway continuation that starts a new `Q:`; without a marker it is the
    last sentence, reduced to what follows its verb (`... date is X.` gives `X`) when it is
    longer than a few words. A span holding a date gives the date as zero-padded
    `MM/DD/YYYY` (month names and ISO dates included); otherwise the span is lower-cased and
    stripped of punctuation, articles and extra spaces. Spans over 20 words give None.
    """
    body = strip_continuation(text)
    span = _marked(body)
    if span is None:
        span = _last_sentence(body)
        if span is None:
            return None
        tail = _COPULA.search(span)
        if tail and len(span.split()) > _SHORT and last_date(span) is None:
            span = tail.group("a")
    key = normalize_qa(span)
    if not key or len(key.split()) > _MAX_WORDS:
        return None
    return key
