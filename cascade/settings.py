"""Where traces and the cache live by default, and the environment variables that change it.

- ``CASCADE_TRACE``: a ``.jsonl`` file or a directory for the trace, or ``off``.
  Default: ``$XDG_DATA_HOME/cascade/traces`` (``~/.local/share/cascade/traces``), a file a day.
- ``CASCADE_CACHE``: a directory for the answer cache, or ``off``.
  Default: ``$XDG_CACHE_HOME/cascade/answers`` (``~/.cache/cascade/answers``).
- ``CASCADE_TRACE_PROMPTS``: ``1`` to store prompt and answer text in traces (default: hashes).
"""

from __future__ import annotations

import os
from pathlib import Path

_OFF = {"", "0", "off", "false", "no", "none"}


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def trace_location() -> Path | None:
    """The default trace location, or None when tracing to disk is off."""
    value = os.environ.get("CASCADE_TRACE")
    if value is None:
        return _xdg("XDG_DATA_HOME", ".local/share") / "cascade" / "traces"
    return None if value.strip().lower() in _OFF else Path(value).expanduser()


def cache_location() -> Path | None:
    """The default cache directory, or None when the cache is off."""
    value = os.environ.get("CASCADE_CACHE")
    if value is None:
        return _xdg("XDG_CACHE_HOME", ".cache") / "cascade" / "answers"
    return None if value.strip().lower() in _OFF else Path(value).expanduser()


def trace_prompts() -> bool:
    """Whether traces store prompt and answer text by default."""
    return os.environ.get("CASCADE_TRACE_PROMPTS", "").strip().lower() not in _OFF
