"""The vote rows of `benchmarks.verifier_auc`, under this script's former name.

``python -m benchmarks.vote_auc [--recordings DIR ...] [--only NAME ...] [--k 5 all]
[--json FILE]`` is ``python -m benchmarks.verifier_auc --verifiers vote ...``: the vote verifier
over the first k samples of each prompt, by default k = 5 and every recorded sample.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import verifier_auc


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the vote verifier only; ``--k`` defaults to ``5 all``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--k" not in args:
        args += ["--k", "5", "all"]
    return verifier_auc.main(["--verifiers", "vote", *args])


if __name__ == "__main__":
    sys.exit(main())
