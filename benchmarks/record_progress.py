"""Progress of a recording run on stderr: tasks done per suite, elapsed time and an ETA."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Tasks done per suite and an ETA from this run's mean time per task of each suite."""

    def __init__(self, totals: Mapping[str, int], done: Mapping[str, int], stream: TextIO):
        self.totals, self.done = dict(totals), dict(done)
        self.times: dict[str, list[float]] = {name: [] for name in totals}
        self.stream, self.started = stream, time.monotonic()

    def eta(self) -> float | None:
        """Seconds left at the measured pace, or None before any task was measured."""
        every = [t for times in self.times.values() for t in times]
        if not every:
            return None
        left = 0.0
        for name, total in self.totals.items():
            times = self.times[name] or every
            left += (total - self.done[name]) * sum(times) / len(times)
        return left

    def task_done(self, suite: str, task_id: str, seconds: float, measured: bool) -> None:
        """Count one task and print a progress line."""
        self.done[suite] += 1
        if measured:
            self.times[suite].append(seconds)
        per_suite = ", ".join(f"{n} {self.done[n]}/{t}" for n, t in self.totals.items())
        eta = self.eta()
        self.say(
            f"{sum(self.done.values())}/{sum(self.totals.values())} tasks | {per_suite} | "
            f"{task_id} {seconds:.1f} s | elapsed {_span(time.monotonic() - self.started)} | "
            f"ETA {'?' if eta is None else _span(eta)}"
        )

    def say(self, message: str) -> None:
        """One line on the progress stream."""
        print(f"record: {message}", file=self.stream, flush=True)


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes >= 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    return f"{minutes}m{int(seconds % 60):02d}s"
