"""Run model-written Python in a throwaway, locked-down child process.

Layers, outermost first; each stops something the others might miss:

* a fresh ``python -I -S -B`` with a fixed minimal environment: no host variable (API keys
  included), no site-packages or ``.pth`` code unless asked, no descriptor but its own pipes;
* its own session and process group, killed as a whole on timeout, on excess output, on
  cancellation and again before the child is reaped: nothing it starts outlives the run;
* the host's clock (wall time) and the kernel's rlimits: CPU seconds, address space, file
  size, no core dumps, open files, and tasks per uid;
* when the host is root, a fresh unused uid and gid per run with no supplementary groups:
  root's bypass of file permissions and of RLIMIT_NPROC is gone, and runs can signal neither
  each other nor the host; then ``PR_SET_NO_NEW_PRIVS`` (no setuid binary gives root back) and
  a parent-death signal;
* where the kernel allows, a new network namespace (no interface but a down loopback) and, as
  root, a mount namespace in which the work directory is a size-capped tmpfs and every other
  mount is read-only;
* an audit hook (``sandbox_guard``) refusing processes, signals, sockets, ctypes, writes
  outside the work directory and other processes' ``/proc``: a clear ``PermissionError`` for
  the common cases, and the only layer left for those when the host is not root.

``sys.exit(n)`` in a program is its exit status, so ``sys.exit(0)`` is success for
``run_python``. ``run_tests`` is stricter: a test passes only when the harness reports it on a
separate control pipe, in a line carrying a random per-run nonce, and a run is complete only
when the nonce-signed "done" line arrives; exiting early (``sys.exit(0)`` before the tests),
printing "passed" or writing to the pipe without the nonce earns nothing. The nonce lives in the
harness's frames, so a candidate that deliberately walks the stack can read it: it stops
accidents and naive gaming, not an adversary, and a forged pass only lets a wrong answer
through; it cannot hurt the host.

All tests of a candidate share one run by default (one interpreter start; a test that hangs
costs every test after it); ``isolated=True`` gives each test its own run and time limit.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from .sandbox_harness import plan_tests
from .sandbox_process import Limits, SandboxError, execute
from .sandbox_result import (
    KillReason,
    SandboxResult,
    TestOutcome,
    TestReport,
    outcomes,
    read_reports,
)
from .sandbox_watch import Raw

__all__ = [
    "KillReason",
    "Limits",
    "SandboxError",
    "SandboxResult",
    "TestOutcome",
    "TestReport",
    "arun_python",
    "arun_tests",
    "run_python",
    "run_tests",
]

_T = TypeVar("_T")
_DEFAULT_LIMITS = Limits()


def run_python(
    code: str,
    *,
    stdin: str = "",
    files: Mapping[str, str] | None = None,
    limits: Limits = _DEFAULT_LIMITS,
    site_packages: bool = False,
) -> SandboxResult:
    """Run ``code`` as a program in the sandbox; ``files`` are written to its work directory."""
    return _run_python(code, stdin, files, limits, site_packages, None)


async def arun_python(
    code: str,
    *,
    stdin: str = "",
    files: Mapping[str, str] | None = None,
    limits: Limits = _DEFAULT_LIMITS,
    site_packages: bool = False,
) -> SandboxResult:
    """``run_python`` in a worker thread; cancelling the task kills the child."""
    return await _in_thread(lambda c: _run_python(code, stdin, files, limits, site_packages, c))


def run_tests(
    code: str,
    tests: str | Sequence[str],
    *,
    stdin: str = "",
    files: Mapping[str, str] | None = None,
    limits: Limits = _DEFAULT_LIMITS,
    site_packages: bool = False,
    isolated: bool = False,
) -> TestReport:
    """Run ``code`` as module ``solution``, then the tests in its namespace; report each test.

    ``tests`` is a sequence (one test per item) or a str, in which each top-level ``assert`` and
    each ``def test*`` is a test, everything else setup (no test found: the whole is one test).
    One run by default; ``isolated`` gives each test its own run and time limit, so that a test
    that hangs or crashes costs only itself, at one interpreter start per test.
    """
    return _run_tests(code, tests, stdin, files, limits, site_packages, isolated, None)


async def arun_tests(
    code: str,
    tests: str | Sequence[str],
    *,
    stdin: str = "",
    files: Mapping[str, str] | None = None,
    limits: Limits = _DEFAULT_LIMITS,
    site_packages: bool = False,
    isolated: bool = False,
) -> TestReport:
    """``run_tests`` in a worker thread; cancelling the task kills the child."""
    return await _in_thread(
        lambda c: _run_tests(code, tests, stdin, files, limits, site_packages, isolated, c)
    )


async def _in_thread(work: Callable[[threading.Event], _T]) -> _T:
    cancel = threading.Event()
    try:
        return await asyncio.to_thread(work, cancel)
    except asyncio.CancelledError:
        cancel.set()
        raise


def _run_python(
    code: str,
    stdin: str,
    files: Mapping[str, str] | None,
    limits: Limits,
    site_packages: bool,
    cancel: threading.Event | None,
) -> SandboxResult:
    config = {"mode": "program", "code": code}
    raw = execute(
        config, stdin=stdin, files=files, limits=limits, site_packages=site_packages, cancel=cancel
    )
    return _result(raw, limits)


def _run_tests(
    code: str,
    tests: str | Sequence[str],
    stdin: str,
    files: Mapping[str, str] | None,
    limits: Limits,
    site_packages: bool,
    isolated: bool,
    cancel: threading.Event | None,
) -> TestReport:
    tests = tests if isinstance(tests, str) else list(tests)
    names = [step.name for step in plan_tests(tests) if step.kind == "test"]
    verdicts: dict[int, str | None] = {}
    notes: list[str] = []
    runs: list[SandboxResult] = []
    completed = True
    for only in range(len(names)) if isolated else [None]:
        nonce = secrets.token_hex(16)
        config = {"mode": "tests", "code": code, "tests": tests, "only": only, "nonce": nonce}
        raw = execute(
            config,
            stdin=stdin,
            files=files,
            limits=limits,
            site_packages=site_packages,
            cancel=cancel,
        )
        runs.append(_result(raw, limits))
        seen = read_reports(raw.control, nonce, verdicts, notes)
        if "done" not in seen:
            completed = False
            notes.append(_why_unfinished(runs[-1]))
        if "load" in seen:
            break  # the candidate itself fails: every further run would too
    return TestReport(outcomes(names, verdicts, notes), completed, tuple(runs))


def _why_unfinished(run: SandboxResult) -> str:
    if run.killed is not None:
        return f"the run was stopped ({run.killed})"
    return f"the run ended early with exit code {run.exit_code}"


def _result(raw: Raw, limits: Limits) -> SandboxResult:
    if raw.killed == "cancelled":
        raise SandboxError("the run was cancelled")
    if not raw.started:
        what = "did not start in time" if raw.killed == "setup" else "failed to start"
        tail = raw.stderr.decode(errors="replace")[-2000:]
        raise SandboxError(f"the sandbox {what} (exit code {raw.returncode}): {tail}")
    return SandboxResult(
        exit_code=raw.returncode,
        stdout=_text(raw.stdout, raw.stdout_cut, limits),
        stderr=_text(raw.stderr, raw.stderr_cut, limits),
        killed=_kill_reason(raw, limits),
        duration_s=raw.duration_s,
        truncated=raw.stdout_cut or raw.stderr_cut,
    )


def _kill_reason(raw: Raw, limits: Limits) -> KillReason | None:
    if raw.killed in ("timeout", "output"):
        return raw.killed
    if raw.returncode < 0:
        sig = -raw.returncode
        cpu_hit = sig == signal.SIGKILL and raw.cpu_s >= limits.cpu_seconds - 0.05
        return "cpu" if sig == signal.SIGXCPU or cpu_hit else "signal"
    if raw.returncode != 0 and b"\nmemory\n" in raw.control:
        return "memory"
    return None


def _text(data: bytes, cut: bool, limits: Limits) -> str:
    text = data.decode(errors="replace")
    return text + f"\n[... truncated at {limits.max_output_bytes} bytes]" if cut else text
