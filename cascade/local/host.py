"""This host as the local models see it: its CPUs, and the ``CASCADE_LOCAL_*`` switches.

``CASCADE_LOCAL_THREADS`` (threads per model), ``CASCADE_LOCAL_BATCH`` (decode a request's samples
together) and ``CASCADE_LOCAL_EXTRA_BUFFERS`` (llama.cpp's repacked weight buffers) are read on
every call, so a change takes effect for the next model loaded or request answered.
"""

from __future__ import annotations

import os

from cascade.local.assets import LocalModelError

__all__ = ["batching", "cpu_flags", "cpuinfo", "cpus", "extra_buffers", "threads"]


def cpus() -> int:
    """The CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads() -> int:
    """Threads per model: $CASCADE_LOCAL_THREADS, else the CPUs this process may use."""
    raw = os.environ.get("CASCADE_LOCAL_THREADS", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            message = f"CASCADE_LOCAL_THREADS must be an integer, got {raw!r}"
            raise LocalModelError(message) from None
        if value < 1:
            raise LocalModelError(f"CASCADE_LOCAL_THREADS must be at least 1, got {value}")
        return value
    return cpus()


def cpuinfo(field: str, path: str = "/proc/cpuinfo") -> str:
    """The first value of ``field`` in /proc/cpuinfo, such as ``"model name"`` or ``"flags"``
    (empty where there is no such file or field)."""
    try:
        with open(path, encoding="utf-8") as info:
            for line in info:
                name, colon, value = line.partition(":")
                if colon and name.strip() == field:
                    return value.strip()
    except OSError:
        pass
    return ""


def cpu_flags() -> set[str]:
    """The flags of this CPU in /proc/cpuinfo (empty where there is none)."""
    return set(cpuinfo("flags").split())


def extra_buffers() -> bool:
    """Whether llama.cpp may keep weights in its extra CPU buffer types (repacked for AVX2/AVX-512
    kernels, or for Intel AMX tiles): $CASCADE_LOCAL_EXTRA_BUFFERS (1 or 0); by default yes,
    except on a CPU that reports AMX. There llama.cpp's AMX kernels take over, and under some
    hypervisors their first tile instruction kills the process (a segmentation fault in
    ``ggml_backend_amx_mul_mat``, seen on a virtual machine whose CPU reports AMX); the plain
    kernels give the same distribution of answers (README, "The keyless local ladder", has their
    speeds side by side). Set 1 on a machine where AMX works."""
    chosen = _switch("CASCADE_LOCAL_EXTRA_BUFFERS")
    if chosen is None:
        return not any(flag.startswith("amx") for flag in cpu_flags())
    return chosen


def _switch(name: str) -> bool | None:
    """The on/off environment variable ``name`` (1/0, true/false, yes/no, on/off); None if unset."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return None
    if raw not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise LocalModelError(f"{name} must be 1 or 0 (or true/false), got {raw!r}")
    return raw in ("1", "true", "yes", "on")


def batching() -> bool:
    """Whether samples of one request are decoded together: $CASCADE_LOCAL_BATCH (default 1)."""
    return _switch("CASCADE_LOCAL_BATCH") is not False
