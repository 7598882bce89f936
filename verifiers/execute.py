"""The ``execute`` verifier: run each candidate's code against tests, in the sandbox only.

Tests are the caller's ``task.tests`` (one string: each top-level assert or ``def test*`` is a
test; several strings: one test each), else the prompt's visible examples that call the entry
point and state their result (doctests, asserts, ``f(x) == y``, ``f(x) returns y``, ``Input:`` /
``Output:`` ...; see `cascade.verifiers.examples`), each as ``assert f(x) == y`` (a float to
within 1e-6); anything else is skipped, never guessed. The prompt's setup code (its imports and
finished helper functions) runs before the candidate's code, as in HumanEval's own harness.

A candidate scores the share of tests it passes; the verdict the best candidate's share
(``aggregate="best"``; ``choice`` that candidate, ``value`` its code) or the mean
(``"mean"``). Without tests, code that parses and defines the entry point scores
``untested_score``, and the reason says so.
"""

from __future__ import annotations

import ast
import asyncio
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cascade.verifiers.base import Candidate, Combinable, Task, Verdict
from cascade.verifiers.examples import (
    Example,
    entry_point,
    find_examples,
    parameters,
    setup_code,
)
from cascade.verifiers.extract_code import extract_code
from cascade.verifiers.registry import register
from cascade.verifiers.sandbox import Limits, SandboxError, TestReport, arun_tests
from cascade.verifiers.sandbox_harness import plan_tests

__all__ = ["SLOTS", "Execute", "assertion", "execute", "prompt_tests"]

Aggregate = Literal["best", "mean"]
SLOTS = max(2, min(4, os.cpu_count() or 2))
"""Sandboxed runs at once per event loop, over all execute verifiers: more would only compete
for the CPU and fail their wall-clock limits."""

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
_slots = weakref.WeakKeyDictionary()
_MAX_EXAMPLES, _MAX_NOTE = 32, 240
_ATOMS = (ast.Call, ast.Name, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Subscript)


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
            tests = prompt_tests(task.prompt, entry)
            what = f"parsing and defining {entry or 'a function'}"
            none = f"no tests found: scored {self.untested_score} for {what}"
            source = f"{len(tests)} example(s) from the prompt" if tests else none
        header = setup_code(task.prompt, entry)
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


# The class itself is the registered factory: its constructor's parameters are the TOML ones.
execute = register("execute")(Execute)


def prompt_tests(prompt: str, entry: str | None = None) -> list[str]:
    """Assertions of the prompt's examples of ``entry`` (if None, the prompt's entry point)."""
    entry = entry or entry_point(Task(prompt))
    if entry is None:
        return []
    single = entry if parameters(prompt).get(entry) == 1 else None
    found = find_examples(prompt, {entry}, single, limit=None)
    return [test for e in found if (test := assertion(e)) is not None][:_MAX_EXAMPLES]


def assertion(example: Example) -> str | None:
    """``assert call == expected`` (within 1e-6 for a float), or None with no stated result."""
    if example.expected is None:
        return None
    try:
        call = ast.parse(example.call, mode="eval").body
        want = ast.parse(example.expected, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if isinstance(_literal(want), float):
        left, value = (
            example.call if isinstance(call, _ATOMS) else f"({example.call})",
            example.expected,
        )
        return f"assert abs({left} - {value}) <= 1e-6 * max(1.0, abs({value}))"
    return f"assert {ast.unparse(ast.Compare(call, [ast.Eq()], [want]))}"


def _literal(node: ast.expr) -> object:
    """The value of a literal, or None for any other expression (such as ``set([1])``)."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


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
