"""``python -m benchmarks``: the benchmark harness; ``python -m benchmarks perf``: engine speed."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Dispatch to a sub-command."""
    if argv[:1] == ["perf"]:
        from benchmarks.perf import main as perf

        return perf(argv[1:])
    raise NotImplementedError(
        "the replay harness over recordings is issue #4; available now: python -m benchmarks perf"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
