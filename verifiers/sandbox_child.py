"""Entry point of the sandbox child: isolate this fresh interpreter, then run the untrusted code.

The host starts ``python -I -S -B`` with a small launcher that reads the configuration from an
inherited descriptor, builds this module and its two siblings from code objects compiled by the
host (no file system access, no bytecode cache needed) and calls ``main``.

Nothing untrusted has run yet, so the order below is the whole argument: first what needs root
(namespaces, mounts), then resource limits, then the identity drop, then ``prctl``, then the audit
hook, then the "ready" line on the control pipe, and only then the candidate.

Standard library only: ``site`` is not loaded in the child.
"""

from __future__ import annotations

import os
import resource
import sys

from . import sandbox_harness

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ctypes
    from typing import Any

__all__ = ["main"]

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT = 1, 2, 4, 8, 32
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
_MOUNT_FLAGS = {"nosuid": _MS_NOSUID, "nodev": _MS_NODEV, "noexec": _MS_NOEXEC, "noatime": 1024}
_MOUNT_FLAGS.update(nodiratime=2048, relatime=1 << 21)
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38


def main(config: dict[str, Any]) -> None:
    """Isolate according to ``config``, signal readiness, run the candidate."""
    _isolate(config)
    control_fd: int = config["control_fd"]
    os.write(control_fd, b"ready\n")
    sys.argv[:] = [sandbox_harness.SOLUTION_FILE]
    sys.path.append(config["workdir"])  # after the standard library: no shadowing it
    if config["mode"] == "tests":
        sandbox_harness.run_tests(
            config["code"], config["tests"], config["only"], config["nonce"], control_fd
        )
    sandbox_harness.run_program(config["code"], control_fd)


def _isolate(config: dict[str, Any]) -> None:
    workdir: str = config["workdir"]
    uid: int | None = config["uid"]
    libc = _libc()
    if libc is not None:
        _namespaces(libc, workdir, uid, config["disk_bytes"])
    _limits(config["limits"])
    sys.path.extend(config["paths"])
    if uid is not None:
        _reroute_imports()
        _drop_identity(uid)
    if libc is not None:
        _prctl(libc, _PR_SET_NO_NEW_PRIVS, 1)
        _prctl(libc, _PR_SET_PDEATHSIG, 9)
    if os.getppid() != config["parent_pid"]:
        os._exit(1)  # the host is gone already
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]
    _install_guard(workdir)


def _install_guard(workdir: str) -> None:
    """Install the audit hook, then drop every name through which the candidate could reach
    the guard's module to patch its policy."""
    from . import sandbox_guard

    sandbox_guard.install(workdir)
    del sys.modules[sandbox_guard.__name__]
    delattr(sys.modules[__package__ or ""], "sandbox_guard")


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):
        return None


def _call(libc: ctypes.CDLL, name: str, *args: object) -> bool:
    result: int = getattr(libc, name)(*args)
    return result == 0


def _prctl(libc: ctypes.CDLL, option: int, value: int) -> None:
    import ctypes

    if not _call(libc, "prctl", option, ctypes.c_ulong(value), 0, 0, 0):
        raise OSError(f"prctl({option}) failed")


def _namespaces(libc: ctypes.CDLL, workdir: str, uid: int | None, disk_bytes: int) -> None:
    """A new network namespace (nothing but a down loopback) and, as root, a mount namespace in
    which the work directory is a fresh size-capped tmpfs and every other mount is read-only.
    Quietly skipped where the kernel or a container refuses."""
    if os.geteuid() != 0:
        _call(libc, "unshare", _CLONE_NEWUSER | _CLONE_NEWNET)
        return
    if not _call(libc, "unshare", _CLONE_NEWNS | _CLONE_NEWNET):
        _call(libc, "unshare", _CLONE_NEWNET)
        return
    # Private first, so that nothing below propagates back to the host's mounts.
    if not _call(libc, "mount", None, b"/", None, _MS_REC | _MS_PRIVATE, None):
        return
    target = os.fsencode(workdir)
    owner = "" if uid is None else f",uid={uid},gid={uid}"
    options = f"size={disk_bytes},mode=0700{owner}".encode()
    provided = _snapshot(workdir)
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC  # noexec: no native code written by the candidate
    if not _call(libc, "mount", b"tmpfs", target, b"tmpfs", flags, options):
        return
    os.chdir(workdir)  # the old cwd is the host's directory, now hidden under the tmpfs
    _restore(workdir, provided, uid)
    for mountpoint, flags in _mounts():
        if mountpoint != target:
            flags |= _MS_REMOUNT | _MS_BIND | _MS_RDONLY
            _call(libc, "mount", None, mountpoint, None, flags, None)


def _snapshot(root: str) -> list[tuple[str, bytes | None]]:
    """The host-provided tree under ``root``: (relative path, content or None for a directory)."""
    found: list[tuple[str, bytes | None]] = []
    for folder, dirs, names in os.walk(root):
        relative = os.path.relpath(folder, root)
        found += [(os.path.join(relative, d), None) for d in dirs]
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                found.append((os.path.join(relative, name), f.read()))
    return found


def _restore(root: str, tree: list[tuple[str, bytes | None]], uid: int | None) -> None:
    for relative, content in tree:
        path = os.path.join(root, relative)
        if content is None:
            os.mkdir(path, 0o700)
        else:
            with open(path, "wb") as f:
                f.write(content)
        if uid is not None:
            os.chown(path, uid, uid)


def _mounts() -> list[tuple[bytes, int]]:
    with open("/proc/self/mountinfo", "rb") as f:
        lines = f.read().splitlines()
    found = []
    for line in lines:
        fields = line.split()
        flags = 0
        for option in fields[5].decode().split(","):
            flags |= _MOUNT_FLAGS.get(option, 0)
        found.append((_unescape(fields[4]), flags))
    return found


def _unescape(field: bytes) -> bytes:
    head, *rest = field.split(b"\\")
    return head + b"".join(bytes([int(part[:3], 8)]) + part[3:] for part in rest)


def _limits(limits: dict[str, int | None]) -> None:
    _setrlimit(resource.RLIMIT_CORE, 0)
    for name, soft in limits.items():
        if soft is not None:
            hard = soft + 1 if name == "RLIMIT_CPU" else soft
            _setrlimit(getattr(resource, name), soft, hard)


def _setrlimit(which: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY and os.geteuid() != 0:
        hard = min(hard, current_hard)
    resource.setrlimit(which, (min(soft, hard), hard))


def _reroute_imports() -> None:
    """Reach the import path through ``/proc/self/fd`` so that it stays readable after the drop
    even when an ancestor directory is not (an interpreter under ``/root``, say)."""
    moved: dict[str, str] = {}
    for entry in sys.path:
        if os.path.isdir(entry) and entry not in moved:
            moved[entry] = f"/proc/self/fd/{os.open(entry, os.O_RDONLY | os.O_DIRECTORY)}"

    def move(path: str) -> str:
        for old, new in moved.items():
            if path == old or path.startswith(old + "/"):
                return new + path[len(old) :]
        return path

    sys.path[:] = list(moved.values())
    for module in list(sys.modules.values()):
        package_path = getattr(module, "__path__", None)
        if isinstance(package_path, list):
            package_path[:] = [move(p) for p in package_path]
    sys.path_importer_cache.clear()


def _drop_identity(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise RuntimeError("privileges were not dropped")
