"""Host side of the sandbox: limits, work directory, environment, and starting the child.

The child gets a fresh interpreter, a minimal environment, a configuration through an unlinked
read-only file, stdin the same way, and a control pipe; ``sandbox_watch`` then supervises it.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import math
import os
import secrets
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import types
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.abc import InspectLoader
from pathlib import PurePosixPath
from typing import Any

from . import sandbox_child, sandbox_guard, sandbox_harness
from .sandbox_watch import Raw, Watch

__all__ = ["Limits", "SandboxError", "execute"]

_PACKAGE = "_cascade_sandbox"
# One fresh uid (and gid) per run, from a range that distributions, systemd and container
# tools leave unused.
_UID_BASE, _UID_SPAN = 0x7A000000, 1 << 20
_NOFILE = 256
_INTERPRETER = (sys.executable, "-I", "-S", "-B", "-X", "utf8", "-c")


class SandboxError(RuntimeError):
    """The sandbox itself could not be set up; says nothing about the candidate."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of one sandboxed run, each enforced by the kernel or by the host.

    ``timeout_s`` is wall time from the end of sandbox setup; ``cpu_s`` (RLIMIT_CPU, whole
    seconds, default the timeout's) counts all threads; ``memory_mb`` is address space
    (RLIMIT_AS); ``max_output_bytes`` caps stdout and stderr each (more stops the run);
    ``max_file_mb`` caps any one file (RLIMIT_FSIZE); ``max_disk_mb`` caps the work directory
    (a tmpfs, when the host is root and may create mount namespaces); ``max_threads`` caps the
    run's tasks (RLIMIT_NPROC, when the host is root and the run has a uid of its own).
    """

    timeout_s: float = 5.0
    cpu_s: float | None = None
    memory_mb: int = 512
    max_output_bytes: int = 64_000
    max_file_mb: int = 16
    max_disk_mb: int = 64
    max_threads: int = 64

    def __post_init__(self) -> None:
        """Reject limits that could not be enforced."""
        for name in self.__slots__:
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, not {value!r}")

    @property
    def cpu_seconds(self) -> int:
        """RLIMIT_CPU in whole seconds: ``cpu_s`` rounded up, or the wall timeout's."""
        return max(1, math.ceil(self.timeout_s if self.cpu_s is None else self.cpu_s))


def execute(
    config: Mapping[str, Any],
    *,
    stdin: str,
    files: Mapping[str, str] | None,
    limits: Limits,
    site_packages: bool,
    cancel: threading.Event | None = None,
) -> Raw:
    """Run the child with ``config`` (mode, code, ...) in a fresh work directory, then remove it."""
    if os.name != "posix":
        raise SandboxError("the sandbox needs a POSIX system")
    uid = _UID_BASE + secrets.randbelow(_UID_SPAN) if os.geteuid() == 0 else None
    workdir = _make_workdir(files or {}, uid)
    try:
        full = {
            **config,
            "workdir": workdir,
            "uid": uid,
            "parent_pid": os.getpid(),
            "paths": _site_paths() if site_packages else [],
            "limits": _rlimits(limits, per_uid=uid is not None),
            "disk_bytes": limits.max_disk_mb << 20,
        }
        return _spawn_and_watch(full, stdin, workdir, limits, cancel)
    finally:
        _remove(workdir)


def _rlimits(limits: Limits, *, per_uid: bool) -> dict[str, int | None]:
    return {
        "RLIMIT_CPU": limits.cpu_seconds,
        "RLIMIT_AS": limits.memory_mb << 20,
        "RLIMIT_FSIZE": limits.max_file_mb << 20,
        "RLIMIT_NOFILE": _NOFILE,
        # Counts every task of the real uid, so only meaningful with a uid of the run's own.
        "RLIMIT_NPROC": limits.max_threads if per_uid else None,
    }


def _site_paths() -> list[str]:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def _spawn_and_watch(
    config: dict[str, Any], stdin: str, workdir: str, limits: Limits, cancel: threading.Event | None
) -> Raw:
    held: list[int] = []  # descriptors to close on the way out
    try:
        control_r, control_w = os.pipe()
        held += [control_r, control_w]
        full = {**config, "control_fd": control_w, "modules": _child_modules()}
        config_fd = _sealed(marshal.dumps(full))
        held.append(config_fd)
        stdin_fd = _sealed(stdin.encode())
        held.append(stdin_fd)
        try:
            proc = subprocess.Popen(
                [*_INTERPRETER, _LAUNCHER, str(config_fd)],
                stdin=stdin_fd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=workdir,
                env=_environment(workdir),
                start_new_session=True,
                pass_fds=(config_fd, control_w),
            )
        except OSError as exc:
            raise SandboxError(f"cannot start the sandbox interpreter: {exc}") from exc
        for fd in (control_w, config_fd, stdin_fd):  # the child has its copies
            held.remove(fd)
            os.close(fd)
        with proc:
            watch = Watch(proc, control_r, limits.timeout_s, limits.max_output_bytes, cancel)
            return watch.run()
    finally:
        for fd in held:
            os.close(fd)


def _sealed(data: bytes) -> int:
    """A read-only descriptor of an already unlinked file holding ``data``."""
    fd, path = tempfile.mkstemp(prefix="cascade-sandbox-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return os.open(path, os.O_RDONLY)
    finally:
        os.unlink(path)


_LAUNCHER = f"""
import marshal, os, sys

def boot():
    fd, chunks = int(sys.argv[1]), []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    config = marshal.loads(b"".join(chunks))
    package = sys.modules[{_PACKAGE!r}] = type(sys)({_PACKAGE!r})
    package.__path__ = []
    for name, filename, code in config.pop("modules"):
        module = type(sys)({_PACKAGE!r} + "." + name)
        module.__file__, module.__package__ = filename, {_PACKAGE!r}
        sys.modules[module.__name__] = module
        setattr(package, name, module)
        exec(code, module.__dict__)
    module.main(config)

boot()
"""


@functools.cache
def _child_modules() -> tuple[tuple[str, str, types.CodeType], ...]:
    """The child's own modules as code objects, dependencies first."""
    found = []
    for module in (sandbox_guard, sandbox_harness, sandbox_child):
        loader = module.__loader__
        code = loader.get_code(module.__name__) if isinstance(loader, InspectLoader) else None
        if code is None:
            raise SandboxError(f"cannot read the code of {module.__name__}")
        found.append((module.__name__.rpartition(".")[2], code.co_filename, code))
    return tuple(found)


def _environment(workdir: str) -> dict[str, str]:
    """A fixed minimal environment: nothing of the host's (API keys included) reaches the child."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "USER": "sandbox",
        "LOGNAME": "sandbox",
        "MALLOC_ARENA_MAX": "2",  # fewer reserved arenas: threads fit under RLIMIT_AS
    }


def _make_workdir(files: Mapping[str, str], uid: int | None) -> str:
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="cascade-sandbox-"))
    try:
        for name, text in files.items():
            target = os.path.join(workdir, *_relative_parts(name))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
        if uid is not None:
            for root, dirs, names in os.walk(workdir):
                for entry in [root, *(os.path.join(root, n) for n in dirs + names)]:
                    os.chown(entry, uid, uid, follow_symlinks=False)
    except BaseException:
        _remove(workdir)
        raise
    return workdir


def _relative_parts(name: str) -> tuple[str, ...]:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(p in ("..", ".") for p in parts):
        raise ValueError(f"file name must be a relative path inside the work directory: {name!r}")
    return parts


def _remove(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):  # a candidate without its own uid may have locked itself in
        with contextlib.suppress(OSError, RecursionError):
            _unlock(path)
        shutil.rmtree(path, ignore_errors=True)


def _unlock(path: str) -> None:
    if stat.S_ISDIR(os.lstat(path).st_mode):
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            _unlock(os.path.join(path, name))
