"""The final numeric answer of a math solution, as a canonical number string."""

from __future__ import annotations

import ast
import functools
import re
from fractions import Fraction

from cascade.verifiers.extract_fences import fenced_blocks
from cascade.verifiers.extract_numbers import (
    NumberMatch,
    canonical_number,
    clean_latex,
    find_numbers,
    word_number,
)
from cascade.verifiers.extract_program import program_answer
from cascade.verifiers.extract_qa import strip_continuation

__all__ = ["extract_math", "looks_like_program"]

_SENTENCE_END = re.compile(r"\n|(?<=[.!?])\s+(?=[A-Z])")
_CALCULATOR = re.compile(r"<<[^<>\n]*(?:>>|$)")
_HASHES = re.compile(r"####")
_ANSWER = re.compile(
    r"\b(?:final\s+answer|answer)\s*(?:is|:|=|would\s+be|will\s+be)\s*:?", re.IGNORECASE
)
_CODE_LINE = re.compile(
    r"\s*(?:#|[\w.']+(?:\[[^\]]*\])?\s*[-+*/%]?=[^=]|(?:def|for|while|if|elif|else|"
    r"return|import|from|print)\b|\s)"
)
_PROSE_RUN = re.compile(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")
# Quoted string literals on a line (a program's regex "\(\d+\)" is not LaTeX working)
_STRINGS = re.compile(r"""(["'])(?:\\.|(?!\1).)*\1""")
# LaTeX a prose solution writes its working in: display and inline delimiters, common commands
_LATEX = re.compile(
    r"\\[\[\]()]|\\(?:text|frac|dfrac|times|cdot|div|left|right|boxed|sqrt|quad|approx"
    r"|leq?|geq?|neq|pm)\b"
)
_PYTHON_LANGS = {"python", "py", "python3", "py3", ""}
_PROGRAM_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.FunctionDef)


def _code_like(line: str) -> bool:
    """Whether one line reads as Python rather than prose."""
    if line.rstrip().endswith((".", "?", "!")) or _LATEX.search(_STRINGS.sub("", line)):
        return False
    return bool(_CODE_LINE.match(line)) or not _PROSE_RUN.search(line)


def _is_program(tree: ast.Module) -> bool:
    """Whether a parsed text assigns, defines or calls something."""
    return any(
        isinstance(node, _PROGRAM_STATEMENTS)
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call))
        for node in tree.body
    )


def _parse(text: str) -> ast.Module | None:
    """The module tree of `text`, or None when it is not Python."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def looks_like_program(text: str) -> bool:
    """Whether `text` as a whole is a multi-line Python program (even a broken one)."""
    stripped = text.strip()
    lines = [line for line in stripped.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    tree = _parse(stripped)
    if tree is None:
        return len(lines) >= 3 and sum(map(_code_like, lines)) >= 0.8 * len(lines)
    return _is_program(tree)


def _boxed(text: str) -> list[str]:
    """Contents of every `\\boxed{...}` / `\\fbox{...}`, braces balanced."""
    found = []
    for match in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth, pos = 1, match.end()
        while pos < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[pos], 0)
            pos += 1
        if depth == 0:
            found.append(text[match.end() : pos - 1])
    return found


def _after_equals(numbers: list[NumberMatch], text: str) -> NumberMatch | None:
    """The first number after the last `=` of `text`, else None."""
    cut = text.rfind("=")
    after = [n for n in numbers if n.start > cut] if cut >= 0 else []
    return after[0] if after else None


def _in_span(span: str) -> Fraction | None:
    """The number an answer span names: after its last `=`, else its first number."""
    line = _SENTENCE_END.split(span.strip(), maxsplit=1)[0]
    numbers = list(find_numbers(line))
    if not numbers:
        return word_number(line)
    chosen = _after_equals(numbers, line) or numbers[0]
    return chosen.value


def _marked(text: str) -> Fraction | None:
    """The number behind the strongest explicit marker: boxed, then ####, then `answer is`."""
    for span in reversed(_boxed(text)):
        value = _in_span(span)
        if value is not None:
            return value
    for pattern in (_HASHES, _ANSWER):
        for match in reversed(list(pattern.finditer(text))):
            value = _in_span(text[match.end() :])
            if value is not None:
                return value
    return None


def _last_number(text: str) -> Fraction | None:
    """The result stated last: on the last line with a number, after its last `=` if any."""
    for line in reversed(text.splitlines()):
        numbers = list(find_numbers(line))
        if numbers:
            chosen = _after_equals(numbers, line) or numbers[-1]
            return chosen.value
    return None


def _from_program(source: str, arithmetic: bool) -> Fraction | None:
    """The number a program would produce, read without running it (see extract_program)."""
    value = program_answer(source, arithmetic=arithmetic)
    if isinstance(value, str):
        return _prose(value)
    if value is None:
        return None
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _clean(text: str) -> str:
    """Drop a runaway continuation, calculator annotations `<<2*3=6>>` and LaTeX noise."""
    return clean_latex(_CALCULATOR.sub("", strip_continuation(text)))


def _prose(text: str) -> Fraction | None:
    """The answer of a prose solution: explicit markers first, then the last stated number."""
    body = _clean(text)
    marked = _marked(body)
    return marked if marked is not None else _last_number(body)


def _answer(text: str, arithmetic: bool) -> Fraction | None:
    """Dispatch between a bare program, marked prose, a fenced program and the last number."""
    if looks_like_program(text):
        return _from_program(text, arithmetic)
    body = _clean(text)
    marked = _marked(body)
    if marked is not None:
        return marked
    outside = body
    for fence in reversed(fenced_blocks(body)):
        outside = outside[: fence.start] + outside[fence.end :]
        tree = _parse(fence.body) if fence.lang in _PYTHON_LANGS else None
        if tree is not None and _is_program(tree):
            value = _from_program(fence.body, arithmetic)
            if value is not None:
                return value
    return _last_number(outside)


@functools.lru_cache(maxsize=4096)
def extract_math(text: str, *, fold_programs: bool = True) -> str | None:
    """The canonical final number of a math answer (`"42"`, `"0.75"`, `"1/3"`), or None.

    Markers win over position: `\\boxed{}`, then `#### x`, then `answer is x` / `Answer: x`;
    otherwise the last line with a number gives its value after the last `=`, else its last
    number. Thousands separators, currency, units and `%` are ignored (`25%` is `25`).
    A text that is itself a Python program (program of thought) is read, never run: with
    `fold_programs` its arithmetic is folded (see `extract_program`); without, only a literal
    `ans = 42` / `print("42")` counts. An unreadable program gives None, not its last number.
    Remembered for the last 4,096 answers (verifiers and replays read the same answers again).
    """
    value = _answer(text, fold_programs)
    return None if value is None else canonical_number(value)
