"""Cheap prompt features for the pre-router, and the history of similar prompts.

`prompt_features` turns each prompt into a fixed row of numbers, computed from the text alone
(about a millisecond for 2,000 characters; no model, no tokenizer). Counts enter as ``log1p(count)``
so that one very long prompt does not dominate; the columns, in order (`FEATURE_NAMES`):

- ``log_chars``, ``log_lines``, ``log_words``: size of the prompt.
- ``mean_word_len``: mean word length in characters (technical text runs longer).
- ``log_digits``, ``log_numbers``: digit characters, and numbers such as ``12`` or ``3.5``.
- ``log_code``: code markers: fences, ``def``, ``class``, ``return``, ``import``, ``lambda``,
  ``function``, braces, ``;``, ``=>``, ``()``.
- ``log_operators``: arithmetic and comparison signs ``+ - * / = ^ % < >``.
- ``log_math_words``: quantity phrases: "how many", "how much", "percent", "total", "each",
  "per", "average", "ratio", "times", "remain", "left", "cost", ``$``.
- ``log_questions``: question words (what, which, who, when, where, why, how) and ``?``.
- ``log_list``: list items (lines starting with ``-``, ``*``, ``1.``, ``a)``) and options ``(A)``.
- ``log_constraints``: instructions that narrow the answer: must, should, only, exactly,
  at least, at most, without, ensure, format.
- ``log_negations``: not, no, never, none, neither, nor, n't.
- ``log_time_words``: dates and durations: day, week, month, year, date, today, yesterday,
  tomorrow, hour, minute, and month names.
- ``log_sentences``: sentence ends.

``buckets > 0`` appends that many hashed word-bigram buckets, each the share of the prompt's
bigrams that fall in it.

The history feature: each prompt's set of words is hashed into `DIM` buckets and weighted by
inverse document frequency over the remembered (training) prompts; a prompt's history is the mean
cheapest-tier failure of its ``k`` nearest remembered prompts by cosine similarity. On training
data each prompt's own row is left out (`training_history`), so the feature never sees the label
it is trained to predict; at prediction time the query is compared with every remembered prompt.
Hashing uses CRC-32, so features are the same in every process.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.intp]

DIM = 1024  # hashed vocabulary size of the history feature

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_COUNTED: dict[str, re.Pattern[str]] = {  # matched against the lower-cased prompt
    "log_digits": re.compile(r"\d"),
    "log_numbers": re.compile(r"\d+(?:[.,]\d+)*"),
    "log_code": re.compile(r"```|\b(?:def|class|return|import|lambda|function)\b|[{};]|=>|\(\)"),
    "log_operators": re.compile(r"[+\-*/=^%<>]"),
    "log_math_words": re.compile(
        r"\b(?:how (?:many|much)|percent\w*|total|each|per|average|ratio|times|remain\w*|left"
        r"|costs?)\b|\$"
    ),
    "log_questions": re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b|\?"),
    "log_list": re.compile(r"(?m)^[ \t]*(?:[-*\u2022]|\d+[.)]|[a-z][.)])\s|\([a-e]\)"),
    "log_constraints": re.compile(
        r"\b(?:must|should|only|exactly|at least|at most|without|ensure|format)\b"
    ),
    "log_negations": re.compile(r"\b(?:not|no|never|none|neither|nor)\b|n't\b"),
    "log_time_words": re.compile(
        rf"\b(?:days?|weeks?|months?|years?|dates?|today|yesterday|tomorrow|hours?|minutes?"
        rf"|{_MONTHS})\b"
    ),
    "log_sentences": re.compile(r"[.!?](?:\s|$)"),
}
FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_lines",
    "log_words",
    "mean_word_len",
    *_COUNTED,
)
_WORD = re.compile(r"[a-z]+|\d+|[^\w\s]")


def words(text: str) -> list[str]:
    """Lower-case words and punctuation marks; every number becomes ``0``."""
    return ["0" if w[0].isdigit() else w for w in _WORD.findall(text.lower())]


def _bucket(token: str, size: int) -> int:
    return zlib.crc32(token.encode("utf-8")) % size


def prompt_features(prompts: Sequence[str], buckets: int = 0) -> Floats:
    """One row of cheap text features per prompt (columns: `FEATURE_NAMES`, then bigram buckets)."""
    out = np.zeros((len(prompts), len(FEATURE_NAMES) + buckets))
    for i, text in enumerate(prompts):
        tokens = text.split()
        sizes = [len(text), text.count("\n") + 1 if text else 0, len(tokens)]
        out[i, :3] = np.log1p(sizes)
        out[i, 3] = sum(map(len, tokens)) / len(tokens) if tokens else 0.0
        lower = text.lower()
        out[i, 4 : len(FEATURE_NAMES)] = np.log1p(
            [len(p.findall(lower)) for p in _COUNTED.values()]
        )
        if buckets:
            seq = words(text)
            pairs = [f"{a} {b}" for a, b in itertools.pairwise(seq)]
            for pair in pairs:
                out[i, len(FEATURE_NAMES) + _bucket(pair, buckets)] += 1.0 / len(pairs)
    return out


def word_sets(prompts: Sequence[str], dim: int = DIM) -> list[Ints]:
    """Each prompt's distinct hashed words, as sorted bucket indices."""
    return [
        np.unique(np.array([_bucket(w, dim) for w in words(t)], dtype=np.intp)) for t in prompts
    ]


def presence(sets: Sequence[Ints], dim: int = DIM) -> Floats:
    """A 0/1 matrix: row i marks the buckets of prompt i."""
    out = np.zeros((len(sets), dim))
    for i, cols in enumerate(sets):
        out[i, cols] = 1.0
    return out


def idf(memory: Floats) -> Floats:
    """Smoothed inverse document frequency of each bucket over the remembered prompts."""
    df = memory.sum(axis=0)
    weights: Floats = np.log((1.0 + len(memory)) / (1.0 + df)) + 1.0
    return weights


def memory_index(memory: Sequence[Ints], dim: int = DIM) -> tuple[Floats, Floats]:
    """The remembered word sets as IDF-weighted unit rows, and the IDF weights."""
    dense = presence(memory, dim)
    weights = idf(dense)
    unit = dense * weights[None, :]
    unit /= np.maximum(np.sqrt(np.sum(unit * unit, axis=1, keepdims=True)), 1e-300)
    return unit, weights


def similarity(queries: Sequence[Ints], index: tuple[Floats, Floats]) -> Floats:
    """Cosine similarity of IDF-weighted word sets, queries (rows) against memory (columns)."""
    unit, weights = index
    sim = np.zeros((len(queries), len(unit)))
    for i, cols in enumerate(queries):  # sparse rows: no dense matrix product
        w = weights[cols]
        if w.size:
            sim[i] = np.sum(unit[:, cols] * w[None, :], axis=1) / np.sqrt(np.sum(w * w))
    return sim


def history(
    queries: Sequence[Ints],
    memory: Sequence[Ints],
    failed: Bools,
    k: int = 10,
    exclude: Ints | None = None,
    index: tuple[Floats, Floats] | None = None,
) -> Floats:
    """Mean failure of each query's ``k`` most similar remembered prompts; ``exclude[i]`` (a
    memory row, or -1) is never counted as a neighbour of query i. ``index`` is
    ``memory_index(memory)``, when already computed."""
    left_out = exclude is not None and bool(np.any(exclude >= 0))
    take = min(k, len(memory) - int(left_out))
    if take < 1:
        return np.zeros(len(queries))
    sim = similarity(queries, index if index is not None else memory_index(memory))
    if exclude is not None:
        rows = np.flatnonzero(exclude >= 0)
        sim[rows, exclude[rows]] = -np.inf
    nearest = np.argpartition(-sim, take - 1, axis=1)[:, :take]
    mean: Floats = failed[nearest].astype(np.float64).mean(axis=1)
    return mean


def training_history(sets: Sequence[Ints], kept: Ints, failed: Bools, k: int = 10) -> Floats:
    """Leave-one-out history of every training prompt against the remembered rows ``kept``."""
    position = np.full(len(sets), -1, dtype=np.intp)
    position[kept] = np.arange(len(kept))
    memory = [sets[i] for i in kept]
    return history(sets, memory, failed[kept], k, exclude=position)
