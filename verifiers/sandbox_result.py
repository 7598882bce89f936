"""What a sandboxed run yields: ``SandboxResult`` for a program, ``TestReport`` for tests,
and how the harness's nonce-signed report lines become per-test outcomes."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

__all__ = [
    "KillReason",
    "SandboxResult",
    "TestOutcome",
    "TestReport",
    "outcomes",
    "read_reports",
]

KillReason = Literal["timeout", "cpu", "memory", "output", "signal"]
_MAX_REPORT_LINE = 4096


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """How one sandboxed run ended.

    ``exit_code`` is the child's status, minus the signal number when a signal ended it;
    ``killed`` says why the run was stopped (None: it ended on its own); ``duration_s`` is the
    candidate's wall time, from the end of sandbox setup to exit; ``stdout`` and ``stderr`` end
    with a marker when cut at the output cap, and ``truncated`` says so.
    """

    exit_code: int
    stdout: str
    stderr: str
    killed: KillReason | None
    duration_s: float
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """Exited on its own with status 0."""
        return self.exit_code == 0 and self.killed is None

    @property
    def timed_out(self) -> bool:
        """Stopped by the wall-clock or the CPU-time limit."""
        return self.killed in ("timeout", "cpu")


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """One test's verdict; ``error`` says why it failed or did not run."""

    __test__: ClassVar[bool] = False
    name: str
    passed: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TestReport:
    """Per-test outcomes of ``run_tests`` and the sandbox runs behind them.

    ``completed`` is True when every run reached the harness's nonce-signed end; ``runs`` holds
    one result, or one per test when the tests ran isolated.
    """

    __test__: ClassVar[bool] = False
    outcomes: tuple[TestOutcome, ...]
    completed: bool
    runs: tuple[SandboxResult, ...]

    @property
    def passed(self) -> int:
        """Number of tests that passed."""
        return sum(o.passed for o in self.outcomes)

    @property
    def total(self) -> int:
        """Number of tests."""
        return len(self.outcomes)

    @property
    def share(self) -> float:
        """Share of tests passing, in [0, 1]."""
        return self.passed / self.total if self.total else 0.0

    @property
    def ok(self) -> bool:
        """Every test passed and the harness reached its end."""
        return self.completed and self.passed == self.total


def outcomes(
    names: list[str], verdicts: dict[int, str | None], notes: list[str]
) -> tuple[TestOutcome, ...]:
    """One outcome per test name: its verdict if reported, else "not run" and the first note."""
    missing = f"not run: {notes[0]}" if notes else "not run"
    return tuple(
        TestOutcome(name, passed=verdicts[i] is None, error=verdicts[i])
        if i in verdicts
        else TestOutcome(name, passed=False, error=missing)
        for i, name in enumerate(names)
    )


def read_reports(
    control: bytes, nonce: str, verdicts: dict[int, str | None], notes: list[str]
) -> set[str]:
    """Collect the nonce-signed lines into ``verdicts`` and ``notes``; return the kinds seen."""
    seen = set()
    for line in control.decode(errors="replace").splitlines():
        head, _, rest = line.partition(" ")
        if head != nonce or len(rest) > _MAX_REPORT_LINE:
            continue
        try:
            fields: Any = ast.literal_eval(rest)
        except Exception:
            continue
        match fields:
            case ("test", int(index), str() | None as error) if index not in verdicts:
                verdicts[index] = error
            case ("load", str(error)):
                notes.append(f"the candidate raised {error}")
            case ("setup", str(error)):
                notes.append(f"test setup raised {error}")
            case ("done",):
                pass
            case _:
                continue
        seen.add(fields[0])
    return seen
