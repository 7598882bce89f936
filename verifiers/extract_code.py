"""The code of an answer, and a key that groups programs equal up to layout and docstrings."""

from __future__ import annotations

import ast
import functools
import re
import textwrap

from cascade.verifiers.extract_fences import Fence, fenced_blocks

__all__ = ["code_key", "extract_code"]

_CODE_LANGS = {"python", "py", "python3", "py3", "ipython", ""}
_MAX_TRIES = 64
_CODE_START = re.compile(r"^(?:def |async def |class |import |from \S+ import |@)", re.MULTILINE)


def _parse(code: str) -> ast.Module | None:
    """The module tree of `code`, or None when it is not valid Python."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _defines(tree: ast.Module | None, name: str | None) -> bool:
    """Whether `tree` defines function or class `name` (any, when `name` is None)."""
    if tree is None:
        return False
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and (name is None or node.name == name)
        for node in ast.walk(tree)
    )


def _best(blocks: list[str], entry_point: str | None) -> str | None:
    """The first block defining `entry_point`, else defining anything, else parsing, else first."""
    trees = [_parse(block) for block in blocks]
    for wanted in ([entry_point] if entry_point else []) + [None]:
        for block, tree in zip(blocks, trees, strict=True):
            if _defines(tree, wanted):
                return block
    parsed = [block for block, tree in zip(blocks, trees, strict=True) if tree is not None]
    return (parsed or blocks)[0] if blocks else None


def _is_program(tree: ast.Module | None) -> bool:
    """Whether a parsed text does something: not empty, not just names or constants."""
    return tree is not None and any(
        not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Name | ast.Constant))
        for node in tree.body
    )


def _bare(text: str) -> str | None:
    """Unfenced code: the whole text, or the longest parsing run from the first `def` line.

    The whole text counts when it parses as a program; otherwise lines are taken from the
    first `def`/`class`/`import` line up to the last top-level line that keeps them parsing.
    """
    whole = textwrap.dedent(text).strip("\n")
    if _is_program(_parse(whole)):
        return whole
    start = _CODE_START.search(whole)
    if start is None:
        return None
    lines = whole[start.start() :].splitlines()
    ends = [i for i in range(1, len(lines) + 1) if i == len(lines) or _top_level(lines[i])]
    for end in reversed(ends[-_MAX_TRIES:]):
        candidate = "\n".join(lines[:end]).rstrip()
        if _defines(_parse(candidate), None):
            return candidate
    return None


def _top_level(line: str) -> bool:
    """Whether a line starts at column 0 with text, so code may end just before it."""
    return bool(line) and not line[0].isspace()


def _is_session(body: str) -> bool:
    """Whether a block is an interactive session (``>>> f(1)`` over its output), not a program.

    Only the first line decides: a function whose docstring holds doctests is still code.
    """
    return body.lstrip().startswith(">>>")


def _code_blocks(fences: list[Fence]) -> list[str]:
    """The bodies of fences that may hold Python, dedented, without interactive sessions."""
    return [
        textwrap.dedent(fence.body).strip("\n")
        for fence in fences
        if fence.lang in _CODE_LANGS and fence.body.strip() and not _is_session(fence.body)
    ]


@functools.lru_cache(maxsize=4096)
def extract_code(text: str, entry_point: str | None = None) -> str | None:
    """The code of an answer, or None (remembered for the last 4,096 answers: verifiers and
    replays extract the same answers again).

    Among fenced blocks (``` / ~~~, or `[PYTHON]` tags) the first that defines `entry_point`
    wins, else the first that defines any function or class, else the first that parses,
    else the first. Without fences, bare code is the whole text when it parses, else the
    longest parsing run of lines from the first `def`/`class`/`import` line (prose after the
    code is dropped).
    """
    blocks = _code_blocks(fenced_blocks(text))
    if blocks:
        return _best(blocks, entry_point)
    return _bare(text)


class _DropDocstrings(ast.NodeTransformer):
    """Removes string-only statements (docstrings and string 'comments') from every body."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kept = [stmt for stmt in body if not _is_string(stmt)]
                setattr(node, field, kept or [ast.Pass()])
        return node


def _is_string(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


@functools.lru_cache(maxsize=4096)
def code_key(code: str) -> str | None:
    """A grouping key for Python code: its AST dump without docstrings, or None if invalid.

    Comments, blank lines, formatting and docstrings do not change the key; names (also of
    local variables) do. Remembered for the last 4,096 programs (a vote keys each program more
    than once, and replays key the same programs again).
    """
    tree = _parse(textwrap.dedent(code))
    if tree is None:
        return None
    tree = _DropDocstrings().visit(tree)
    return ast.dump(tree, annotate_fields=False, include_attributes=False)
