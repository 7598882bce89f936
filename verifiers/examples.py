"""What a code task's prompt gives: the function to write, code to run first, visible examples.

The entry point is ``task.public["entry_point"]``, else the prompt's function left to write (its
body only a docstring, ``pass`` or ``...``), else its first ``def``, else the function its
examples call most (MBPP's ``assert add(1, 2) == 3`` with no ``def``). The setup code is the
prompt's imports and finished functions but the entry point, to run before a candidate's code
as HumanEval's harness does. The prompt's code is its fenced Python, else the whole prompt.

An example is a call and, when stated, its expected result, read in these forms:

* doctests: ``>>> f(1, 2)`` over the expected output line(s), or ``>>> f(1, 2) == 3`` alone;
* ``assert f(1, 2) == 3`` (any other assert is the call ``bool(...)`` expecting True);
* lines such as ``f(1, 2) == 3``, ``==> 3``, ``-> 3``, ``➞ 3``, ``= 3``, ``returns 3``,
  ``should return 3.``, ``# returns 3``, ``f(1, 2) == 1 + 2 = 3``, ``f(1) + f(2) == 3``;
* for a function of one parameter, ``Input: [1, 2]`` / ``Output: 3`` pairs and
  ``For x = [1, 2] the output should be 3`` lines.

A call is kept only when it calls one of the task's functions and is self-contained (it names
nothing but those functions and a few pure builtins, as in ``round(f(x), 2)``), so that any
candidate can run it as it stands. A stated result is kept only when it is an expression of
constants; otherwise the call is kept alone (it still tells candidates apart).
"""

from __future__ import annotations

import ast
import builtins
import functools
import keyword
import re
import textwrap
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import TypeGuard

from cascade.verifiers.base import Task
from cascade.verifiers.extract_fences import fenced_blocks

__all__ = ["Example", "defined_names", "entry_point", "find_examples", "parameters", "setup_code"]

_SAFE = frozenset(
    {"abs", "all", "any", "bool", "dict", "float", "frozenset", "int", "len", "list", "max"}
    | {"min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip"}
)
_ERRORS = (SyntaxError, ValueError, TypeError, RecursionError, MemoryError)
_CODE_LANGS = {"python", "py", "python3", "py3", ""}
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_NAMED_CALL = re.compile(r"(?<![\w.])(?<!def )([A-Za-z_]\w*)\s*\(")
_DOCTEST, _MORE = re.compile(r"^\s*>>>\s?(?P<src>.*)$"), re.compile(r"^\s*\.\.\.\s?(?P<src>.*)$")
_ASSERT = re.compile(r"\bassert\s+(?P<src>.+)$")
_SEPARATOR = re.compile(
    r"\s*(?:==>|=>|->|-->|➞|→|⟹|⇒|==|=|:|#\s*(?:returns?|=>|->|output:?)|"
    r"(?:should\s+)?(?:returns?|give|gives|be|is|equals?)(?!\w))\s*",
    re.IGNORECASE,
)
_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")
_FOR = re.compile(
    r"\bfor\s+\w+\s*=\s*(?P<arg>.+?),?\s+(?:the\s+)?(?:output|result)\s+"
    r"(?:should\s+be|will\s+be|is)\s+(?P<out>.+)$",
    re.IGNORECASE,
)
_INPUT = re.compile(r"^\s*Input\s*:\s*(?P<arg>\S.*)$", re.IGNORECASE)
_OUTPUT = re.compile(r"^\s*Output\s*:\s*(?P<out>\S.*)$", re.IGNORECASE)
_SUM: tuple[type[ast.AST], ...] = (ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Call)
_SUM += (ast.Name, ast.Load, ast.keyword, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict)
_TRAILING, _MAX_CUTS, _MAX_ENDS, _MAX_CALL = ".,;:", 40, 64, 2_000


@dataclass(frozen=True, slots=True)
class Example:
    """One visible example: ``call`` is a Python expression; ``expected`` its result's source."""

    call: str
    expected: str | None = None


def entry_point(task: Task) -> str | None:
    """The function a code task asks for (see the module docstring), or None."""
    given = task.public.get("entry_point")
    if isinstance(given, str) and given.isidentifier():
        return given
    defs = [node for node in _prompt_code(task.prompt) if _is_def(node)]
    if defs:
        return next((d.name for d in defs if _is_stub(d)), defs[0].name)
    found = _DEF.search(task.prompt)
    return found.group(1) if found else _most_called(task.prompt)


def setup_code(prompt: str, entry: str | None) -> str:
    """The prompt's imports and finished functions but ``entry``, to run before a candidate."""
    kept = [
        node
        for node in _prompt_code(prompt)
        if isinstance(node, ast.Import)
        or (isinstance(node, ast.ImportFrom) and node.module != "__future__")
        or (_is_def(node) and not _is_stub(node) and node.name != entry)
    ]
    return "\n\n".join(ast.unparse(node) for node in kept)


def parameters(prompt: str) -> dict[str, int]:
    """The functions the prompt's code defines, with their numbers of positional parameters."""
    defs = [node for node in _prompt_code(prompt) if _is_def(node)]
    return {d.name: len(d.args.posonlyargs) + len(d.args.args) for d in defs}


def defined_names(code: str) -> frozenset[str]:
    """The top-level functions and classes a piece of code defines."""
    tree = _parse(code)
    nodes = tree.body if isinstance(tree, ast.Module) else []
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return frozenset(node.name for node in nodes if isinstance(node, kinds))


def find_examples(
    prompt: str, functions: Collection[str], single: str | None = None, limit: int | None = 16
) -> tuple[Example, ...]:
    """The examples of ``prompt`` that call any of ``functions``, at most ``limit``.

    One per call, in the order read, a stated result winning over a bare call. ``single`` names
    a function of one parameter, to which bare ``Input:``/``Output:`` examples apply.
    """
    return _find(prompt, frozenset(functions), single, limit)


@functools.lru_cache(maxsize=1024)
def _find(
    prompt: str, names: frozenset[str], single: str | None, limit: int | None
) -> tuple[Example, ...]:
    """`find_examples`, remembered: every tier of a request, and every replay, asks again."""
    lines = prompt.splitlines()
    found = _doctests(lines, names) if names else []
    for line in lines if names else []:
        if not _DOCTEST.match(line):
            found += _asserted(line, names) or _stated(line, names)
    chosen: dict[str, Example] = {}
    for example in found + _one_argument(lines, single):
        if example.call not in chosen or chosen[example.call].expected is None:
            chosen[example.call] = example
    return tuple(chosen.values())[:limit]


def _most_called(prompt: str) -> str | None:
    """The function the prompt's examples with a stated result call most, first on ties."""
    names = {m.group(1) for m in _NAMED_CALL.finditer(prompt)}
    names = {n for n in names if not (keyword.iskeyword(n) or hasattr(builtins, n))}
    stated = [e.call for e in find_examples(prompt, names, limit=None) if e.expected is not None]
    called = Counter(filter(None, (_callee(call, names) for call in stated)))
    return called.most_common(1)[0][0] if called else None


def _callee(call: str, names: Collection[str]) -> str | None:
    """The outermost of ``names`` that an example's ``call`` calls."""
    node = _expression(call)
    return next((c for n in ast.walk(node or ast.Pass()) if (c := _called(n)) in names), None)


def _doctests(lines: list[str], names: frozenset[str]) -> list[Example]:
    """``>>>`` lines with their ``...`` continuations, over their output (or alone)."""
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
        while i < len(lines) and lines[i].strip() not in ("", '"""', "'''"):
            if _DOCTEST.match(lines[i]):
                break
            out.append(lines[i].strip().removesuffix('"""').removesuffix("'''"))
            i += 1
        if not out and len(src) == 1:
            found += _stated(src[0], names)
        elif (call := _call("\n".join(src), names)) is not None:
            whole = _expected("\n".join(out), loose=False) if out else None
            found.append(Example(call, whole or (_expected(out[0], loose=False) if out else None)))
    return found


def _asserted(line: str, names: frozenset[str]) -> list[Example]:
    """``assert f(x) == y`` as (f(x), y); any other assert as (bool(...), True)."""
    match = _ASSERT.search(line)
    tree = _parse(f"assert {match.group('src')}") if match else None
    test = tree.body[0] if isinstance(tree, ast.Module) else None
    if not isinstance(test, ast.Assert):
        return []
    node = test.test
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
        call = _call(ast.unparse(node.left), names)
        expected = _expected(ast.unparse(node.comparators[0]))
    else:
        call, expected = _call(f"bool({ast.unparse(node)})", names), "True"
    return [Example(call, expected)] if call is not None else []


def _stated(line: str, names: frozenset[str]) -> list[Example]:
    """The calls a line makes, each with the result a separator (``==``, ``returns``...) states."""
    found: list[Example] = []
    starts = rf"(?<![\w.])(?<!def )(?:{'|'.join(map(re.escape, sorted(names | _SAFE)))})\s*\("
    reach = 0
    for match in re.finditer(starts, line):
        if match.start() >= reach and (got := _statement(line, match.start(), names)):
            found.append(got[0])
            reach = got[1]
    return found


def _statement(line: str, start: int, names: frozenset[str]) -> tuple[Example, int] | None:
    """The call at ``start`` (or a sum of calls from there) with its stated result, and its end.

    Without a stated result, the call alone.
    """
    ends = [i + 1 for i in range(start, len(line)) if line[i] == ")"][:_MAX_ENDS]
    first = next((end for end in ends if _expression(line[start:end]) is not None), None)
    bare: tuple[Example, int] | None = None
    for end in ends[ends.index(first) :] if first else []:
        call = _call(line[start:end], names, sum_only=end != first)
        sep = _SEPARATOR.match(line, end) if call else None
        expected = _expected(line[sep.end() :]) if sep else None
        if call is not None and expected is not None:
            return Example(call, expected), end
        if call is not None and end == first:
            bare = Example(call), end
    return bare


def _one_argument(lines: list[str], single: str | None) -> list[Example]:
    """``Input: x`` / ``Output: y`` and ``For n = x the output should be y`` as (single(x), y)."""
    found: list[Example] = []
    for i, line in enumerate(lines if single else []):
        if (match := _FOR.search(line)) is not None:
            given, result = _leading(match.group("arg")), _expected(match.group("out"))
        elif (match := _INPUT.match(line)) is not None:
            outputs = [_OUTPUT.match(later) for later in lines[i + 1 : i + 4]]
            given = _leading(match.group("arg"))
            result = next((_expected(m.group("out")) for m in outputs if m), None)
        else:
            continue
        found += [Example(f"{single}({given})", result)] if given is not None else []
    return found


def _call(src: str, names: frozenset[str], sum_only: bool = False) -> str | None:
    """``src`` normalized when it is a self-contained expression calling one of ``names``.

    With ``sum_only``, only calls and constants in arithmetic (``f(1) + f(2)``) qualify.
    """
    node = _expression(src)
    if node is None or not _self_contained(node, names):
        return None
    if not any(_called(n) in names for n in ast.walk(node)):
        return None
    arithmetic = isinstance(node, ast.BinOp) and all(isinstance(n, _SUM) for n in ast.walk(node))
    if sum_only and not arithmetic:
        return None
    return ast.unparse(node)


def _expected(text: str, loose: bool = True) -> str | None:
    """The result stated in ``text``, or None.

    As doctest output (not ``loose``) the whole text; else also the text without trailing
    punctuation or comment, or what ends a chain of ``=`` (``1 + 9 = 10``).
    """
    text = text.strip()
    options = [text]
    if loose:
        options = [text.rstrip(_TRAILING), text, text.split("#", 1)[0].rstrip().rstrip(_TRAILING)]
        *steps, last = _EQUALS.split(text)
        if steps and all(_constant(step) is not None for step in steps):
            options.append(last.rstrip(_TRAILING))
    return next(filter(None, map(_constant, options)), None)


def _leading(text: str) -> str | None:
    """The longest expression of constants ``text`` starts with, cut at a comma or space."""
    text = text.strip()
    cuts = [len(text), *[m.start() for m in re.finditer(r"[,\s]", text)][::-1]]
    options = (text[:cut].rstrip(_TRAILING) for cut in cuts[:_MAX_CUTS])
    return next(filter(None, map(_constant, options)), None)


def _constant(src: str) -> str | None:
    """``src`` normalized when it is an expression of constants and pure builtins."""
    node = _expression(src)
    return ast.unparse(node) if node is not None and _self_contained(node, frozenset()) else None


def _self_contained(node: ast.expr, names: frozenset[str]) -> bool:
    """Whether an expression names nothing but ``names`` and pure builtins."""
    free = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    banned = (ast.Lambda, ast.NamedExpr, ast.Attribute, ast.Await)
    return free <= names | _SAFE and not any(isinstance(n, banned) for n in ast.walk(node))


def _expression(src: str) -> ast.expr | None:
    """``src`` parsed as one expression, or None."""
    if not src.strip() or len(src) > _MAX_CALL:
        return None
    tree = _parse(src.strip(), mode="eval")
    return tree.body if isinstance(tree, ast.Expression) else None


def _parse(code: str, mode: str = "exec") -> ast.AST | None:
    try:
        return ast.parse(code, mode=mode)
    except _ERRORS:
        return None


def _prompt_code(prompt: str) -> list[ast.stmt]:
    """The top-level statements of the prompt's Python: its fenced blocks, or the whole."""
    blocks = [f.body for f in fenced_blocks(prompt) if f.lang in _CODE_LANGS] or [prompt]
    trees = [_parse(textwrap.dedent(block)) for block in blocks]
    return [node for tree in trees if isinstance(tree, ast.Module) for node in tree.body]


def _is_def(node: ast.AST) -> TypeGuard[ast.FunctionDef | ast.AsyncFunctionDef]:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function left to write: only a docstring, ``pass`` or ``...`` in its body."""
    return all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in node.body
    )


def _called(node: ast.AST) -> str | None:
    """The name ``node`` calls, when it is a call of a plain name."""
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
