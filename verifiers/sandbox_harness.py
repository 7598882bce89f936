"""What the sandbox child executes: a candidate program, or a candidate followed by its tests.

``plan_tests`` is shared: the host calls it to name the tests, the child calls it on the same
input to run them, so both sides agree on the numbering without sending code objects across.

Runs inside the child with ``-I -S``: standard library only, and few imports at start-up
(``typing``, ``dataclasses`` and ``linecache`` alone would double the child's start time).
"""

from __future__ import annotations

import os
import sys
import types

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from collections.abc import Callable, Sequence
    from typing import Literal, NoReturn

__all__ = ["SOLUTION_FILE", "Step", "describe", "plan_tests", "run_program", "run_tests"]

SOLUTION_FILE = "solution.py"
_ERROR_CHARS = 500


class Step:
    """One unit of test code: setup runs for its effect, a test passes if it raises nothing."""

    __slots__ = ("filename", "kind", "module", "name")

    def __init__(
        self, kind: Literal["setup", "test"], name: str, module: ast.Module, filename: str
    ) -> None:
        """Hold one parsed statement (or file) of test code."""
        self.kind, self.name, self.module, self.filename = kind, name, module, filename


def plan_tests(tests: str | Sequence[str]) -> list[Step]:
    """Split test code into steps: a sequence gives one test per item; see ``_split`` for a str."""
    texts = [tests] if isinstance(tests, str) else list(tests)
    if not texts or any(not text.strip() for text in texts):
        raise ValueError("no test code given: an empty test would pass any candidate")
    if isinstance(tests, str):
        return _split(tests)
    return [
        Step("test", _label(text), _parse(text, f"<test {i}>"), f"<test {i}>")
        for i, text in enumerate(texts)
    ]


def _split(source: str) -> list[Step]:
    """Top-level asserts are tests, ``def test*`` functions are called as tests after the body,
    everything else is setup; a source with no test in it is one test as a whole."""
    import ast

    filename = "<tests>"
    tree = _parse(source, filename)
    steps: list[Step] = []
    deferred: list[Step] = []
    for node in tree.body:
        module = ast.Module(body=[node], type_ignores=[])
        if isinstance(node, ast.Assert):
            text = ast.get_source_segment(source, node) or f"assert at line {node.lineno}"
            steps.append(Step("test", _label(text), module, filename))
            continue
        steps.append(Step("setup", f"line {node.lineno}", module, filename))
        test = _test_call(node, filename)
        if test is not None:
            deferred.append(test)
    steps.extend(deferred)
    if not any(step.kind == "test" for step in steps):
        return [Step("test", _label(source), tree, filename)]
    return steps


def _test_call(node: ast.stmt, filename: str) -> Step | None:
    """The step calling a top-level ``def test*`` (run to completion if async), or None."""
    import ast

    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    if not node.name.startswith("test"):
        return None
    call = f"{node.name}()"
    source = call if isinstance(node, ast.FunctionDef) else f"__import__('asyncio').run({call})"
    module = ast.parse(source)
    ast.increment_lineno(module, node.lineno - 1)
    return Step("test", call, module, filename)


def _parse(text: str, filename: str) -> ast.Module:
    import ast

    try:
        return ast.parse(text, filename)
    except SyntaxError as exc:
        raise ValueError(f"test code does not parse: {exc}") from exc


def _label(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= 80 else first[:77] + "..."


def describe(exc: BaseException) -> str:
    """A one-line account of an exception, bounded in length; always a non-empty ``str``.

    Only f-strings and slicing: the candidate may have replaced ``str``, ``type`` or ``len`` in
    builtins, and a failure must never come out as None (which reads as a pass).
    """
    message = f"{exc}"
    text = f"{exc.__class__.__name__}: {message}" if message else f"{exc.__class__.__name__}"
    return text[:_ERROR_CHARS] or "failed"


class _Source:
    """Loader stand-in through which ``linecache`` finds the candidate's lines for tracebacks."""

    def __init__(self, code: str) -> None:
        self.code = code

    def get_source(self, _name: str) -> str:
        return self.code


def _fresh_module(name: str, code: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = SOLUTION_FILE
    module.__dict__["__loader__"] = _Source(code)
    sys.modules[name] = module
    return module


def _print_exception(exc: BaseException) -> None:
    """Print a traceback as python would, without the sandbox's own frames."""
    import traceback

    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    top = traceback.TracebackException.from_exception(exc)
    pending, seen = [top], set()
    while pending:
        report = pending.pop()
        if id(report) in seen:
            continue
        seen.add(id(report))
        report.stack[:] = [f for f in report.stack if not f.filename.startswith(here)]
        pending.extend(r for r in (report.__cause__, report.__context__) if r is not None)
    sys.stderr.write("".join(top.format()))


def run_program(code: str, control_fd: int) -> None:
    """Run ``code`` as ``__main__``; uncaught exceptions exit with status 1, as python would."""
    module = _fresh_module("__main__", code)
    try:
        exec(compile(code, SOLUTION_FILE, "exec"), module.__dict__)
    except SystemExit:
        raise
    except MemoryError as exc:
        module.__dict__.clear()
        os.write(control_fd, b"memory\n")
        _print_exception(exc)
        raise SystemExit(1) from None
    except BaseException as exc:
        _print_exception(exc)
        raise SystemExit(1) from None


def run_tests(code: str, tests: str | list[str], only: int | None, nonce: str, fd: int) -> NoReturn:
    """Run the candidate as module ``solution``, then each step; report tests on ``fd``."""
    # Bound before the candidate runs: it may replace builtins (exec, compile, ...) and module
    # attributes (os.write, this module's functions), but not this frame's locals.
    write, run, explain, leave = os.write, exec, describe, os._exit
    steps = [(step.kind, _compile(step.module, step.filename)) for step in plan_tests(tests)]
    namespace = _fresh_module("solution", code).__dict__

    def report(*fields: object) -> None:
        write(fd, f"{nonce} {fields!r}\n".encode())

    try:
        run(_compile(code, SOLUTION_FILE), namespace)
    except BaseException as exc:
        report("load", explain(exc))
        _finish(report, leave)
    index = -1
    for kind, step in steps:
        index += kind == "test"
        if kind == "test" and only is not None and index != only:
            continue
        try:
            run(step, namespace)
        except BaseException as exc:
            if kind == "setup":
                report("setup", explain(exc))
                break
            report("test", index, explain(exc))
        else:
            if kind == "test":
                report("test", index, None)
    _finish(report, leave)


def _compile(source: str | ast.Module, filename: str) -> types.CodeType:
    return compile(source, filename, "exec", dont_inherit=True, optimize=0)


def _finish(report: Callable[..., None], leave: Callable[[int], NoReturn]) -> NoReturn:
    report("done")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed or broken stream must not cost the report
            continue
    leave(0)
