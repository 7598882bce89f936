"""A tier's samples on the local models, decoded together against one after another.

    python -m benchmarks.local_batch [--models smollm2-135m:5 ...] [--max-tokens 128] [--repeats 2]

Sends a tier's samples as the engine does (``samples`` simultaneous ``litellm.acompletion``
requests, the same prompt, one seed each), once with ``CASCADE_LOCAL_BATCH=1`` (the default:
cascade.local decodes them in one batch) and once with ``0`` (one call after another), and
prints the wall time of the tier and the generated tokens per second; best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PROMPT = "Write a Python function is_prime(n) that returns True when n is a prime number."
DEFAULT_MODELS = ("smollm2-135m:5", "qwen2.5-coder-0.5b:5", "qwen2.5-coder-1.5b:3")


async def tier(model: str, samples: int, max_tokens: int) -> tuple[float, int]:
    """Wall time and generated tokens of ``samples`` simultaneous requests."""
    import litellm

    async def one(seed: int) -> Any:
        return await litellm.acompletion(
            model=f"local/{model}",
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=max_tokens,
            temperature=0.7,
            seed=seed,
        )

    start = time.perf_counter()
    done = await asyncio.gather(*(one(i) for i in range(samples)))
    took = time.perf_counter() - start
    return took, sum(int(r.usage.completion_tokens) for r in done)


def main(argv: list[str] | None = None) -> int:
    """Measure and print one row per model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), help="name:samples")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    from cascade.local import register, runtime

    register()

    print("| model | samples | one after another: s (tok/s) | together: s (tok/s) | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    for spec in args.models:
        model, _, count = spec.partition(":")
        samples = int(count or 5)
        runtime.load(model)
        best: dict[str, tuple[float, int]] = {}
        for _ in range(args.repeats):
            for mode in ("0", "1"):
                os.environ["CASCADE_LOCAL_BATCH"] = mode
                took, tokens = asyncio.run(tier(model, samples, args.max_tokens))
                if mode not in best or took < best[mode][0]:
                    best[mode] = (took, tokens)
        (s0, t0), (s1, t1) = best["0"], best["1"]
        print(
            f"| {model} | {samples} | {s0:.1f} ({t0 / s0:.0f}) | {s1:.1f} ({t1 / s1:.0f}) "
            f"| {(t1 / s1) / (t0 / s0):.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
