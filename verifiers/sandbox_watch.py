"""Supervision of one sandbox child, from its start to its reaping.

One thread, one ``select`` loop over the child's stdout, stderr, control pipe and (on Linux) a
pidfd. Output is kept up to a cap and the run stopped beyond it, so a child printing gigabytes
costs the host a bounded buffer. The candidate's clock starts when the child reports "ready"
(interpreter start and isolation are not the candidate's time), and on the deadline, on
cancellation or on excess output the whole process group gets SIGKILL. The group is killed once
more after the child exits and before it is reaped: the zombie still holds the group id, so the
signal cannot reach an unrelated process, and nothing the child started outlives the run.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Literal

__all__ = ["HostKill", "Raw", "Watch"]

HostKill = Literal["timeout", "output", "cancelled", "setup"]
_SETUP_TIMEOUT_S = 10.0  # interpreter start and isolation, before the candidate's clock starts
_DRAIN_S = 2.0  # how long to wait for pipes to close after a kill
_CONTROL_CAP = 1 << 20


@dataclass(frozen=True, slots=True)
class Raw:
    """What the host observed of one child, before interpretation."""

    returncode: int
    stdout: bytes
    stderr: bytes
    stdout_cut: bool
    stderr_cut: bool
    control: bytes
    killed: HostKill | None
    duration_s: float
    cpu_s: float

    @property
    def started(self) -> bool:
        """Whether the child finished isolating itself and ran the candidate."""
        return self.control.startswith(b"ready\n")


class Watch:
    """Select loop over one child's pipes and pidfd, with deadlines and output caps."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        control_fd: int,
        timeout_s: float,
        output_cap: int,
        cancel: threading.Event | None,
    ) -> None:
        """Watch ``proc`` (started with pipes for stdout and stderr) and its control pipe."""
        assert proc.stdout is not None and proc.stderr is not None
        self.proc, self.timeout_s, self.cancel = proc, timeout_s, cancel
        self.out, self.err, self.ctl = proc.stdout.fileno(), proc.stderr.fileno(), control_fd
        self.caps = {self.out: output_cap, self.err: output_cap, self.ctl: _CONTROL_CAP}
        self.buffers = {fd: bytearray() for fd in self.caps}
        self.cut: set[int] = set()
        self.open = set(self.caps)
        self.selector = selectors.DefaultSelector()
        for fd in self.caps:
            self.selector.register(fd, selectors.EVENT_READ)
        self.pidfd = _pidfd(proc.pid)
        if self.pidfd is not None:
            self.selector.register(self.pidfd, selectors.EVENT_READ)
        self.started = time.monotonic()
        self.ready_at: float | None = None
        self.exited_at: float | None = None
        self.killed: HostKill | None = None
        self.killed_at = 0.0

    def run(self) -> Raw:
        """Watch until the child exited and its pipes closed, then reap it."""
        try:
            while self._step():
                pass
        finally:
            self.selector.close()
            if self.pidfd is not None:
                os.close(self.pidfd)
            _kill_group(self.proc.pid)  # leftovers; the pgid is still reserved by the zombie
        self.proc.returncode, cpu_s = _reap(self.proc.pid)
        end = self.exited_at if self.exited_at is not None else time.monotonic()
        return Raw(
            returncode=self.proc.returncode,
            stdout=bytes(self.buffers[self.out]),
            stderr=bytes(self.buffers[self.err]),
            stdout_cut=self.out in self.cut,
            stderr_cut=self.err in self.cut,
            control=bytes(self.buffers[self.ctl]),
            killed=self.killed,
            duration_s=end - (self.ready_at if self.ready_at is not None else self.started),
            cpu_s=cpu_s,
        )

    def _step(self) -> bool:
        now = time.monotonic()
        if self.exited_at is None and self.pidfd is None and _has_exited(self.proc.pid):
            self._on_exit(now)
        if self.exited_at is not None and not self.open:
            return False
        if self.killed is not None:
            wait = self.killed_at + _DRAIN_S - now
            if wait <= 0:
                return False
        else:
            deadline = (
                self.ready_at + self.timeout_s
                if self.ready_at is not None
                else self.started + _SETUP_TIMEOUT_S
            )
            if now >= deadline:
                self._kill("timeout" if self.ready_at is not None else "setup")
                return True
            if self.cancel is not None and self.cancel.is_set():
                self._kill("cancelled")
                return True
            wait = deadline - now
            if self.cancel is not None:
                wait = min(wait, 0.05)
        if self.pidfd is None:
            wait = min(wait, 0.02)
        for key, _ in self.selector.select(wait):
            self._on_ready(key.fd)
        return True

    def _on_ready(self, fd: int) -> None:
        if fd == self.pidfd:
            self.selector.unregister(fd)
            self._on_exit(time.monotonic())
            return
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            self.selector.unregister(fd)
            self.open.discard(fd)
            return
        buffer = self.buffers[fd]
        room = max(0, self.caps[fd] - len(buffer))
        buffer += chunk[:room]
        if len(chunk) > room:
            self.cut.add(fd)
            if self.killed is None:
                self._kill("output")
        if fd == self.ctl and self.ready_at is None and buffer.startswith(b"ready\n"):
            self.ready_at = time.monotonic()

    def _on_exit(self, now: float) -> None:
        self.exited_at = now
        _kill_group(self.proc.pid)

    def _kill(self, reason: HostKill) -> None:
        self.killed, self.killed_at = reason, time.monotonic()
        _kill_group(self.proc.pid)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _has_exited(pid: int) -> bool:
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _reap(pid: int) -> tuple[int, float]:
    """Reap the child: its exit code (minus the signal number if killed) and CPU seconds."""
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:  # reaped behind our back by a process-wide SIGCHLD handler
        return -signal.SIGKILL, 0.0
    return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
