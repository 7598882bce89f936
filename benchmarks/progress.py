"""A simple progress bar on stderr: redrawn in place on a terminal, one line at the end else."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Bar"]


class Bar:
    """Counts finished units of work toward `total` and shows the share done."""

    def __init__(
        self, label: str, total: int, *, stream: TextIO | None = None, width: int = 30
    ) -> None:
        self.label = label
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.started = time.perf_counter()
        self._drawn = 0.0
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, step: int = 1) -> None:
        """Advance by `step`; redraws at most ten times a second."""
        self.done += step
        now = time.perf_counter()
        if self.live and now - self._drawn >= 0.1:
            self._drawn = now
            self.stream.write("\r" + self._line())
            self.stream.flush()

    def close(self) -> None:
        """Show the final state and end the line."""
        self.done = min(self.done, self.total)
        self.stream.write(("\r" if self.live else "") + self._line() + "\n")
        self.stream.flush()

    def _line(self) -> str:
        share = min(self.done / self.total, 1.0)
        filled = round(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.started
        return f"{self.label} [{bar}] {self.done}/{self.total} {elapsed:5.1f}s"
