"""The ``execute`` verifier: run each candidate's code against tests, in the sandbox only.

Tests are the caller's ``task.tests`` (one string: each top-level assert or ``def test*`` is a
test; several strings: one test each), else the prompt's examples: doctests (``>>> f(x)`` over
the expected output) and lines such as ``f(x) == y``, ``f(x) -> y``, ``f(x) ==> y``,
``f(x) ➞ y``, ``f(x) returns y``. An example counts only when it calls the entry point on
constants (``round``, ``sorted`` and a few other pure builtins around it allowed) and expects
a Python literal; anything else is skipped, never guessed. The prompt's imports and finished
helper functions run before the candidate's code, as in HumanEval's own harness.

The entry point is ``task.public["entry_point"]``, else the prompt's function left to write
(body only a docstring or ``pass``), else its first ``def``, else the name its examples call.
A candidate scores the share of tests it passes; the verdict the best candidate's share
(``aggregate="best"``; ``choice`` that candidate, ``value`` its code) or the mean
(``"mean"``). Without tests, code that parses and defines the entry point scores
``untested_score``, and the reason says so.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import keyword
import os
import re
import textwrap
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeGuard

from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import Combinable
from cascade.verifiers.extract_code import extract_code
from cascade.verifiers.extract_fences import fenced_blocks
from cascade.verifiers.registry import register
from cascade.verifiers.sandbox import Limits, SandboxError, TestReport, arun_tests
from cascade.verifiers.sandbox_harness import plan_tests

__all__ = ["SLOTS", "Execute", "entry_point", "execute", "prompt_tests"]

Aggregate = Literal["best", "mean"]
SLOTS = max(2, min(4, os.cpu_count() or 2))
"""Sandboxed runs at once per event loop, over all execute verifiers: more would only compete
for the CPU and fail their wall-clock limits."""

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
_slots = weakref.WeakKeyDictionary()
_MAX_EXAMPLES, _MAX_TRIES, _MAX_NOTE = 32, 32, 240
_CODE_LANGS = {"python", "py", "python3", "py3", ""}
_PURE = {"abs", "bool", "float", "int", "len", "list", "max", "min", "round", "set", "sorted"}
_PURE |= {"str", "sum", "tuple"}
_SHAPES: tuple[type[ast.AST], ...] = (ast.Expression, ast.Call, ast.Name, ast.Load, ast.keyword)
_SHAPES += (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp)
_SHAPES += (ast.operator, ast.unaryop)
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")
_ARROW = re.compile(r"\s*(?:==>|=>|==|->|➞|→|=|should return|returns|#\s*(?:returns|=>|->))")
_DOCTEST, _MORE = re.compile(r"^\s*>>> ?(.*)$"), re.compile(r"^\s*\.\.\. ?(.*)$")


@dataclass(frozen=True, slots=True)
class _Outcome:
    share: float
    note: str
    code: str | None = None


class Execute(Combinable):
    """Scores candidates by the share of tests their code passes in the sandbox."""

    def __init__(
        self,
        timeout_s: float = 5.0,
        memory_mb: int = 512,
        untested_score: float = 0.5,
        aggregate: Aggregate = "best",
        isolated: bool = False,
        site_packages: bool = False,
    ) -> None:
        if aggregate not in ("best", "mean"):
            raise ValueError(f"aggregate must be 'best' or 'mean', got {aggregate!r}")
        if not 0.0 <= untested_score <= 1.0:
            raise ValueError(f"untested_score must be in [0, 1], got {untested_score!r}")
        self.limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb)
        self.untested_score, self.aggregate = untested_score, aggregate
        self.isolated, self.site_packages = isolated, site_packages
        self.name = "execute"

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Run every candidate's code against the task's tests, a few runs at a time."""
        entry = entry_point(task)
        tests: str | list[str] = [t for t in task.tests if t.strip()]
        if tests:
            source = "tests from the task"
            tests = tests[0] if len(tests) == 1 else tests
            plan_tests(tests)  # a caller's test that does not parse is the caller's error
        else:
            found = _examples(task.prompt, entry)
            entry = found[0][0] if found else entry
            tests = [test for _, test in found]
            what = f"parsing and defining {entry or 'a function'}"
            none = f"no tests found: scored {self.untested_score} for {what}"
            source = f"{len(tests)} example(s) from the prompt" if tests else none
        header = _prompt_header(task.prompt, entry)
        runs = (self._one(c.text, entry, tests, header) for c in candidates)
        outcomes = list(await asyncio.gather(*runs))
        if not outcomes:
            return Verdict(passed=False, score=0.0, reason="no candidates", name=self.name)
        shares = [o.share for o in outcomes]
        best = shares.index(max(shares))
        score = shares[best] if self.aggregate == "best" else sum(shares) / len(shares)
        notes = "; ".join(f"candidate {i}: {o.note}" for i, o in enumerate(outcomes))
        return Verdict(
            passed=score >= 1.0 if tests else score > 0.0,
            score=score,
            reason=f"{source}; {notes}",
            choice=best if shares[best] > 0 else None,
            name=self.name,
            value=outcomes[best].code if shares[best] > 0 else None,
        )

    async def _one(
        self, text: str, entry: str | None, tests: str | list[str], header: str
    ) -> _Outcome:
        code = extract_code(text, entry)
        if code is None:
            return _Outcome(0.0, "no Python code found")
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            return _Outcome(0.0, f"SyntaxError: {exc.msg} (line {exc.lineno})", code)
        except (ValueError, RecursionError, MemoryError) as exc:
            return _Outcome(0.0, f"does not parse: {type(exc).__name__}", code)
        if not tests:
            if _defines(tree, entry):
                return _Outcome(self.untested_score, "parses, untested", code)
            return _Outcome(0.0, f"does not define {entry or 'a function'}", code)
        future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body)
        program = code if future or not header else f"{header}\n\n{code}"
        async with _slot():
            try:
                report = await arun_tests(
                    program,
                    tests,
                    limits=self.limits,
                    isolated=self.isolated,
                    site_packages=self.site_packages,
                )
            except SandboxError as exc:
                return _Outcome(0.0, f"sandbox error: {exc}"[:_MAX_NOTE], code)
        return _Outcome(report.share, _describe(report), code)

    def __repr__(self) -> str:
        return f"Execute(limits={self.limits!r}, aggregate={self.aggregate!r})"


@register("execute")
def execute(
    timeout_s: float = 5.0,
    memory_mb: int = 512,
    untested_score: float = 0.5,
    aggregate: Aggregate = "best",
    isolated: bool = False,
    site_packages: bool = False,
) -> Execute:
    """Code that passes the task's tests (or the prompt's examples) in the sandbox."""
    return Execute(timeout_s, memory_mb, untested_score, aggregate, isolated, site_packages)


def entry_point(task: Task) -> str | None:
    """The function a code task asks for: ``public["entry_point"]``, else from the prompt."""
    given = task.public.get("entry_point")
    if isinstance(given, str) and given.isidentifier():
        return given
    defs = [d for d in _prompt_code(task.prompt) if _is_def(d)]
    if defs:
        return next((d.name for d in defs if _is_stub(d)), defs[0].name)
    found = _DEF.search(task.prompt)
    return found.group(1) if found else None


def prompt_tests(prompt: str, entry_point: str | None = None) -> list[str]:
    """Assertions made of a prompt's examples calling ``entry_point`` (if None, the most called)."""
    return [test for _, test in _examples(prompt, entry_point)]


def _prompt_code(prompt: str) -> list[ast.stmt]:
    """The top-level statements of the prompt's Python: its fenced blocks, or the whole."""
    blocks = [f.body for f in fenced_blocks(prompt) if f.lang in _CODE_LANGS] or [prompt]
    nodes: list[ast.stmt] = []
    for block in blocks:
        try:
            nodes += ast.parse(textwrap.dedent(block)).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return nodes


def _prompt_header(prompt: str, entry: str | None) -> str:
    """The prompt's imports and finished functions but ``entry``, run before a candidate."""
    kept = [
        node
        for node in _prompt_code(prompt)
        if isinstance(node, ast.Import)
        or (isinstance(node, ast.ImportFrom) and node.module != "__future__")
        or (_is_def(node) and not _is_stub(node) and node.name != entry)
    ]
    return "\n\n".join(ast.unparse(node) for node in kept)


def _examples(prompt: str, entry: str | None) -> list[tuple[str, str]]:
    """(function, assertion) per example; with no entry point, those of the most called name."""
    found: list[tuple[str, str]] = []
    lines = prompt.splitlines()
    for i, line in enumerate(lines):
        if doctest := _DOCTEST.match(line):
            pair = _doctest(doctest.group(1), lines[i + 1 :], entry)
        else:
            pair = _example(line, entry)
        if pair is not None and pair not in found:
            found.append(pair)
    if entry is None and found:
        entry = Counter(name for name, _ in found).most_common(1)[0][0]
    return [pair for pair in found if pair[0] == entry][:_MAX_EXAMPLES]


def _doctest(source: str, after: list[str], entry: str | None) -> tuple[str, str] | None:
    """A ``>>>`` line, its ``...`` continuations and the output lines below it."""
    want: list[str] = []
    for line in after:
        more = _MORE.match(line)
        if more and not want:
            source += "\n" + more.group(1)
        elif not line.strip() or _DOCTEST.match(line) or '"""' in line or "'''" in line:
            break
        else:
            want.append(line.strip())
    call = _call(source, entry)
    if call is None:  # ``>>> f(x) == y`` with no output line is an example line
        return None if want else _example(source, entry)
    return _assertion(*call, "\n".join(want))


def _example(line: str, entry: str | None) -> tuple[str, str] | None:
    """A call on constants, an arrow (``==``, ``->``, ``returns`` ...) and a literal."""
    if _DEF.match(line):
        return None
    for found in _CALL.finditer(line):
        if found.group(1) not in _PURE and not _wanted(found.group(1), entry):
            continue
        closes = [i for i in range(found.end(), len(line)) if line[i] == ")"][:_MAX_TRIES]
        for close in closes:
            call = _call(line[found.start() : close + 1], entry)
            arrow = _ARROW.match(line, close + 1) if call else None
            if call and arrow:
                return _assertion(*call, line[arrow.end() :])
    return None


def _call(source: str, entry: str | None) -> tuple[str, str] | None:
    """(name, normalized source) when ``source`` calls one function on constants only."""
    try:
        node = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    nodes = list(ast.walk(node))
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    if not calls or not all(isinstance(n, _SHAPES) for n in nodes):
        return None
    if any(not isinstance(c.func, ast.Name) or not all(k.arg for k in c.keywords) for c in calls):
        return None
    free = {n.id for n in nodes if isinstance(n, ast.Name)} - _PURE
    if len(free) != 1 or not _wanted(name := free.pop(), entry):
        return None
    if not any(isinstance(c.func, ast.Name) and c.func.id == name for c in calls):
        return None
    return name, ast.unparse(node)


def _assertion(name: str, call: str, want: str) -> tuple[str, str] | None:
    """``assert call == want`` for a literal ``want`` (a trailing comment or period dropped)."""
    cut = want.split(" #")[0].strip()
    for text in (cut.rstrip(".,;").strip(), cut, want.strip()):
        try:
            value = ast.literal_eval(text)
        except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
            continue
        if isinstance(value, float):
            return name, f"assert abs({call} - {text}) <= 1e-6 * max(1.0, abs({text}))"
        return name, f"assert {call} == {ast.unparse(ast.parse(text, mode='eval'))}"
    return None


def _wanted(name: str, entry: str | None) -> bool:
    if entry is not None:
        return name == entry
    return not (keyword.iskeyword(name) or hasattr(builtins, name))


def _is_def(node: ast.stmt) -> TypeGuard[ast.FunctionDef | ast.AsyncFunctionDef]:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function left to write: only a docstring, ``pass`` or ``...`` in its body."""
    return all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in node.body
    )


def _defines(tree: ast.Module, name: str | None) -> bool:
    """Whether the code defines function or class ``name`` (any, when None) or assigns it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if name is None or node.name == name:
                return True
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
            return True
    return False


def _describe(report: TestReport) -> str:
    head = f"{report.passed}/{report.total} tests passed"
    failed = next((o for o in report.outcomes if not o.passed), None)
    return head if failed is None else f"{head}; failed {failed.name}: {failed.error}"[:_MAX_NOTE]


def _slot() -> asyncio.Semaphore:
    """This event loop's semaphore bounding concurrent sandboxed runs."""
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(SLOTS)
    return _slots[loop]
