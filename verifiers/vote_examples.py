"""The visible examples of a code task, read from its prompt: calls to run, results if stated.

Three forms are read, each only when the call names a function the task defines:

* doctest lines, ``>>> f(1, 2)`` followed by the expected output line(s);
* ``assert f(1, 2) == 3`` (any other assert becomes the call ``bool(...)`` expecting True);
* one-line statements such as ``f(1, 2) ==> 3``, ``f(1, 2) == 3``, ``f(1, 2) ➞ 3``,
  ``f(1, 2) returns 3``, ``f(1, 2) should return 3.``, ``f(1, 2)  # returns 3``;
* for a function of one parameter, ``Input: [1, 2]`` / ``Output: 3`` pairs and
  ``For x = [1, 2] the output should be 3`` lines.

A call is kept only when it is self-contained: its arguments name nothing but the task's own
functions and a few pure builtins, so that every candidate can run it as it stands. An expected
result that does not parse as such an expression is dropped (the call is still run, for grouping).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["Example", "defined_names", "find_examples"]

_SAFE_NAMES = frozenset(
    {"abs", "all", "any", "bool", "dict", "float", "frozenset", "int", "len", "list", "max"}
    | {"min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip"}
)
_DOCTEST = re.compile(r"^\s*>>>\s?(?P<src>.*)$")
_MORE = re.compile(r"^\s*\.\.\.\s?(?P<src>.*)$")
_ASSERT = re.compile(r"\bassert\s+(?P<src>.+)$")
_SEPARATOR = re.compile(
    r"^\s*(?:==>|=>|->|-->|➞|→|⟹|⇒|==|=|:|#\s*(?:returns?|=>|->|output:?)|"
    r"(?:should\s+)?(?:returns?|give|gives|be|is|equals?)(?!\w))\s*",
    re.IGNORECASE,
)
_TRAILING = ".,;:"
_FOR = re.compile(
    r"\bfor\s+\w+\s*=\s*(?P<arg>.+?),?\s+(?:the\s+)?(?:output|result)\s+"
    r"(?:should\s+be|will\s+be|is)\s+(?P<out>.+)$",
    re.IGNORECASE,
)
_INPUT = re.compile(r"^\s*Input\s*:\s*(?P<arg>\S.*)$", re.IGNORECASE)
_OUTPUT = re.compile(r"^\s*Output\s*:\s*(?P<out>\S.*)$", re.IGNORECASE)
_MAX_CUTS = 40
_MAX_CALL = 2_000


@dataclass(frozen=True, slots=True)
class Example:
    """One visible example: ``call`` is a Python expression; ``expected`` its result's source."""

    call: str
    expected: str | None = None


def defined_names(code: str) -> frozenset[str]:
    """The top-level functions and classes a piece of code defines."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return frozenset(node.name for node in tree.body if isinstance(node, kinds))


def _expression(src: str) -> ast.expr | None:
    """``src`` parsed as one expression, or None."""
    if not src.strip() or len(src) > _MAX_CALL:
        return None
    try:
        return ast.parse(src.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _free_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _self_contained(node: ast.expr, functions: frozenset[str]) -> bool:
    """Whether an expression names only the task's functions and safe builtins."""
    return _free_names(node) <= functions | _SAFE_NAMES and not any(
        isinstance(n, ast.Lambda | ast.NamedExpr | ast.Attribute | ast.Await)
        for n in ast.walk(node)
    )


def _calls_task(node: ast.expr, functions: frozenset[str]) -> bool:
    """Whether an expression calls one of the task's functions."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in functions
        for n in ast.walk(node)
    )


def _call(src: str, functions: frozenset[str]) -> str | None:
    node = _expression(src)
    if node is None or not _calls_task(node, functions) or not _self_contained(node, functions):
        return None
    return ast.unparse(node)


def _expected(text: str, loose: bool = True) -> str | None:
    """The expected value stated in ``text``: the whole (as doctest output, when not ``loose``),
    else without trailing punctuation or comment, or what follows its last ``=`` (``1 + 9 = 10``).
    """
    text = text.strip()
    options = [text]
    if loose:
        options = [text.rstrip(_TRAILING), text, text.split("#", 1)[0].rstrip().rstrip(_TRAILING)]
    if loose and "=" in text:
        options.append(text.rsplit("=", 1)[1].rstrip(_TRAILING))
    for option in options:
        node = _expression(option)
        if node is not None and _self_contained(node, frozenset()):
            return ast.unparse(node)
    return None


def _doctests(lines: list[str], functions: frozenset[str]) -> list[Example]:
    found: list[Example] = []
    i = 0
    while i < len(lines):
        match = _DOCTEST.match(lines[i])
        i += 1
        if match is None:
            continue
        src = [match.group("src")]
        while i < len(lines) and (more := _MORE.match(lines[i])) is not None:
            src.append(more.group("src"))
            i += 1
        out: list[str] = []
        while i < len(lines) and lines[i].strip() and not _DOCTEST.match(lines[i]):
            if lines[i].strip() in ('"""', "'''"):
                break
            out.append(lines[i].strip().removesuffix('"""').removesuffix("'''"))
            i += 1
        call = _call("\n".join(src), functions)
        if call is not None:
            whole = _expected("\n".join(out), loose=False) if out else None
            found.append(Example(call, whole or (_expected(out[0], loose=False) if out else None)))
    return found


def _asserts(lines: list[str], functions: frozenset[str]) -> list[Example]:
    found: list[Example] = []
    for line in lines:
        match = _ASSERT.search(line)
        try:
            tree = ast.parse(f"assert {match.group('src')}") if match else None
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
        test = tree.body[0] if tree is not None else None
        if not isinstance(test, ast.Assert):
            continue
        node = test.test
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            call = _call(ast.unparse(node.left), functions)
            expected = _expected(ast.unparse(node.comparators[0]))
        else:
            call, expected = _call(f"bool({ast.unparse(node)})", functions), "True"
        if call is not None:
            found.append(Example(call, expected))
    return found


def _closing(text: str, start: int) -> int | None:
    """The offset just past the parenthesis closing the one at ``start`` (strings skipped)."""
    depth, quote, pos = 0, "", start
    while pos < len(text):
        ch = text[pos]
        if quote:
            if ch == "\\":
                pos += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return None


def _statements(lines: list[str], functions: frozenset[str]) -> list[Example]:
    if not functions:
        return []
    names = "|".join(re.escape(name) for name in sorted(functions))
    start = re.compile(rf"(?<![\w.])(?<!def )(?:{names})\s*\(")
    found: list[Example] = []
    for line in lines:
        if _DOCTEST.match(line) or _ASSERT.search(line):
            continue
        for match in start.finditer(line):
            end = _closing(line, match.end() - 1)
            call = _call(line[match.start() : end], functions) if end else None
            if call is None or end is None:
                continue
            sep = _SEPARATOR.match(line[end:])
            expected = _expected(line[end + sep.end() :]) if sep else None
            found.append(Example(call, expected))
    return found


def _leading(text: str) -> str | None:
    """The longest self-contained expression ``text`` starts with, cut at a comma or space."""
    text = text.strip()
    cuts = [len(text), *[m.start() for m in re.finditer(r"[,\s]", text)][::-1]]
    for cut in cuts[:_MAX_CUTS]:
        node = _expression(text[:cut].rstrip(_TRAILING))
        if node is not None and _self_contained(node, frozenset()):
            return ast.unparse(node)
    return None


def _one_argument(lines: list[str], single: str | None) -> list[Example]:
    if single is None:
        return []
    found: list[Example] = []
    for i, line in enumerate(lines):
        if (match := _FOR.search(line)) is not None:
            given, result = _leading(match.group("arg")), _expected(match.group("out"))
        elif (match := _INPUT.match(line)) is not None:
            given, result = _leading(match.group("arg")), None
            outputs = [_OUTPUT.match(later) for later in lines[i + 1 : i + 4]]
            result = next((_expected(m.group("out")) for m in outputs if m), None)
        else:
            continue
        if given is not None:
            found.append(Example(f"{single}({given})", result))
    return found


def find_examples(
    prompt: str,
    functions: frozenset[str] | set[str],
    single: str | None = None,
    limit: int = 16,
) -> tuple[Example, ...]:
    """The examples of ``prompt`` calling any of ``functions``, first of each call, at most
    ``limit``; an example stating its result wins over a bare call. ``single`` names a function
    of one parameter, to which bare ``Input:``/``Output:`` examples apply."""
    lines = prompt.splitlines()
    names = frozenset(functions)
    found = _doctests(lines, names) + _asserts(lines, names) + _statements(lines, names)
    found += _one_argument(lines, single)
    chosen: dict[str, Example] = {}
    for example in found:
        if example.call not in chosen or chosen[example.call].expected is None:
            chosen[example.call] = example
    return tuple(chosen.values())[:limit]
