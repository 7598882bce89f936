"""``python -m benchmarks``: the benchmark harness; ``python -m benchmarks perf``: engine speed."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Dispatch to a sub-command: ``perf``, else the replay harness."""
    if argv[:1] == ["perf"]:
        from benchmarks.perf import main as perf

        return perf(argv[1:])
    from benchmarks.cli import main as harness

    return harness(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
