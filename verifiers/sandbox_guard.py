"""Audit-hook policy installed in the sandbox child just before untrusted code runs.

The hook is one layer among several (see ``sandbox.py``): it turns the obvious ways out
(processes, signals, sockets, native code, writes outside the work directory, peeking at other
processes through ``/proc``) into a ``PermissionError`` with a clear message. Audit hooks are not a
security boundary on their own; the kernel-enforced layers set up before it are.

This module runs inside the child with ``-I -S``: standard library only.
"""

from __future__ import annotations

import os
import sys
import types

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Guard", "install"]

_AF_UNIX = 1  # the same on every POSIX system; importing socket here would cost start-up time
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_ALWAYS_WRITABLE = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr"})

_DENIED_EVENTS = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.system",
        "os.startfile",
        "subprocess.Popen",
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
        "sys.settrace",  # a tracer could jump over a test's assert
        "sys.setprofile",
        "gc.get_objects",  # ways to reach the guard once its module is out of sight
        "gc.get_referrers",
        "gc.get_referents",
    }
)
_DENIED_PREFIXES = ("socket.", "ctypes.", "_winapi.", "winreg.")
_DENIED_MODULES = frozenset(
    {"ctypes", "_ctypes", "_posixsubprocess", "_xxsubinterpreters", "_xxinterpchannels"}
)

# event -> pairs of (index of a path argument, index of its dir_fd argument or None)
_PATH_EVENTS: dict[str, tuple[tuple[int, int | None], ...]] = {
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.rename": ((0, 2), (1, 3)),
    "os.symlink": ((1, 2),),
    "os.link": ((0, 2), (1, 3)),
    "os.truncate": ((0, None),),
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.utime": ((0, 3),),
    "os.chflags": ((0, None),),
    "os.lchflags": ((0, None),),
    "os.setxattr": ((0, None),),
    "os.removexattr": ((0, None),),
    "shutil.rmtree": ((0, 1),),
}


class Guard:
    """Decides, event by event, whether the untrusted code may proceed."""

    def __init__(self, workdir: str) -> None:
        """Confine writes to ``workdir`` (an absolute path)."""
        self.workdir = os.path.realpath(workdir)
        self.own_proc = f"/proc/{os.getpid()}"

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        """Audit hook entry point: raise to refuse the operation."""
        reason = self.refuse(event, args)
        if reason is not None:
            exc = ImportError if event == "import" else PermissionError
            raise exc(f"sandbox: {reason}")

    def refuse(self, event: str, args: tuple[object, ...]) -> str | None:
        """Return why ``event`` is refused, or None to allow it."""
        if event == "open":
            return self._open(args)
        if event in _PATH_EVENTS:
            for path_at, dir_fd_at in _PATH_EVENTS[event]:
                path = args[path_at] if path_at < len(args) else None
                dir_fd = (
                    args[dir_fd_at] if dir_fd_at is not None and dir_fd_at < len(args) else None
                )
                if path is not None and not self._inside(path, dir_fd):
                    return f"{event} outside the work directory is not allowed"
            return None
        if event == "import":
            name = str(args[0]) if args else ""
            if name in _DENIED_MODULES or name.startswith("_test"):
                return f"importing {name} is not allowed"
            filename = args[1] if len(args) > 1 else None
            if isinstance(filename, str) and self._inside(filename, None):
                return f"loading native code from the work directory is not allowed: {name}"
            return None
        if event == "socket.__new__" and len(args) > 1 and args[1] == _AF_UNIX:
            return None  # socketpair() for asyncio's self-pipe; connect and bind stay refused
        if event in _DENIED_EVENTS or event.startswith(_DENIED_PREFIXES):
            return f"{event} is not allowed"
        return None

    def _open(self, args: tuple[object, ...]) -> str | None:
        path = args[0] if args else None
        if isinstance(path, int) or path is None:
            return None
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        writing = bool(flags & _WRITE_FLAGS) or any(c in mode for c in "wax+")
        if writing:
            if self._text(path) in _ALWAYS_WRITABLE or self._inside(path, None):
                return None
            return "writing outside the work directory is not allowed"
        real = self._real(path, None)
        if real.startswith("/proc/") and not self._own_proc(real):
            return "reading other processes' /proc entries is not allowed"
        return None

    def _own_proc(self, real: str) -> bool:
        rest = real[len("/proc/") :].split("/", 1)[0]
        return not rest.isdigit() or real == self.own_proc or real.startswith(self.own_proc + "/")

    def _inside(self, path: object, dir_fd: object) -> bool:
        real = self._real(path, dir_fd)
        return real == self.workdir or real.startswith(self.workdir + "/")

    def _real(self, path: object, dir_fd: object) -> str:
        text = self._text(path)
        if isinstance(dir_fd, int) and dir_fd >= 0 and not text.startswith("/"):
            try:
                text = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), text)
            except OSError:
                return "/"  # unresolvable: treat as outside
        return os.path.realpath(text)

    @staticmethod
    def _text(path: object) -> str:
        if isinstance(path, bytes):
            return os.fsdecode(path)
        if isinstance(path, str):
            return path
        if isinstance(path, os.PathLike):
            return os.fsdecode(os.fspath(path))
        return str(path)


def install(workdir: str, *, stubs: Sequence[str] = ("_posixsubprocess",)) -> Guard:
    """Install the guard as an audit hook (irreversible for this interpreter) and return it."""
    for name in stubs:
        sys.modules[name] = _stub(name)
    guard = Guard(workdir)
    sys.addaudithook(guard)
    return guard


def _stub(name: str) -> types.ModuleType:
    """A module whose functions refuse: keeps ``import subprocess`` (and asyncio) working."""

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(f"sandbox: {name} is not available")

    module = types.ModuleType(name)
    module.fork_exec = refused  # type: ignore[attr-defined]
    return module
