"""Engine performance: overhead over a bare litellm call, sample fan-out, concurrency, cache hits.

Run: ``python -m benchmarks perf`` (``--quick`` for a short run, ``--json PATH`` to save).
Every model call goes through litellm: its own ``mock_response`` for the overhead figure, and a
litellm custom provider with a fixed latency for the others.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import litellm
from litellm.llms.custom_llm import CustomLLM

import cascade
from cascade import Cascade, LiteLLMProvider, Policy, Tier

HAIKU = "anthropic/claude-haiku-5-5"
MSG = "Say hi."


class _Sleepy(CustomLLM):
    """A litellm custom provider answering after a fixed delay (model name = delay in ms)."""

    async def acompletion(
        self, model: str, messages: list[Any], *args: Any, **kwargs: Any
    ) -> litellm.ModelResponse:
        await asyncio.sleep(int(model) / 1000)
        return litellm.ModelResponse(
            choices=[{"message": {"role": "assistant", "content": "hi"}}],
            usage={"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        )


def _register() -> None:
    litellm.custom_provider_map = [
        *[p for p in litellm.custom_provider_map if p["provider"] != "sleepy"],
        {"provider": "sleepy", "custom_handler": _Sleepy()},
    ]
    litellm.utils.custom_llm_setup()  # type: ignore[no-untyped-call]


def _policy(model: str, samples: int = 1) -> Policy:
    return Policy(
        name="perf",
        tiers=(Tier(model=model, samples=samples, max_tokens=16),),
        prices={model: cascade.Price(input_cost_per_token=1e-7, output_cost_per_token=5e-7)},
    )


async def overhead(n: int, tmp: Path) -> dict[str, float]:
    """Median latency of a bare mocked litellm call and of the same call through the engine."""
    msgs = [{"role": "user", "content": MSG}]
    eng = Cascade(
        provider=LiteLLMProvider(mock_response="hi"), cache=tmp / "cache", trace=tmp / "trace"
    )
    plain = Cascade(provider=LiteLLMProvider(mock_response="hi"), cache=False, trace=False)
    pol = _policy(HAIKU)
    for i in range(50):  # warm up every path
        await litellm.acompletion(model=HAIKU, messages=msgs, mock_response="hi", max_tokens=16)
        await eng.arun(f"warm {i}", pol)
        await plain.arun(f"warm {i}", pol)

    async def bare_call(i: int) -> None:
        await litellm.acompletion(
            model=HAIKU, messages=msgs, mock_response="hi", max_tokens=16, timeout=60.0
        )

    async def engine_call(i: int) -> None:
        await eng.arun(f"{MSG} {i}", pol)  # a new prompt each time: a cache miss, traced

    async def plain_call(i: int) -> None:
        await plain.arun(f"{MSG} {i}", pol)  # the loop alone: no trace file, no cache

    paths = {"bare": bare_call, "engine": engine_call, "plain": plain_call}
    times: dict[str, list[float]] = {k: [] for k in paths}
    order = list(paths)
    rng = random.Random(0)
    for i in range(n):  # interleaved in a shuffled order, so that drift affects all equally
        rng.shuffle(order)
        for k in order:
            t0 = time.perf_counter()
            await paths[k](i)
            times[k].append(time.perf_counter() - t0)
    hits = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await eng.arun(f"{MSG} 0", pol)
        hits.append(time.perf_counter() - t0)
    assert r.trace[0].kind == "cache_hit"
    eng.close()
    bare = times["bare"]
    b = statistics.median(bare)
    # the overhead is the median of paired differences (same iteration), robust to drift
    e = statistics.median(x - y for x, y in zip(times["engine"], bare, strict=True))
    u = statistics.median(x - y for x, y in zip(times["plain"], bare, strict=True))
    return {
        "bare_untraced_overhead_ms": u * 1e3,
        "bare_untraced_overhead_pct": u / b * 100,
        "bare_ms": b * 1e3,
        "engine_ms": statistics.median(times["engine"]) * 1e3,
        "overhead_ms": e * 1e3,
        "overhead_pct": e / b * 100,
        "cache_hit_ms": statistics.median(hits) * 1e3,
    }


async def fan_out(repeats: int) -> dict[str, float]:
    """Wall time of k=5 samples against one call, with a provider of fixed 200 ms latency."""
    eng = Cascade(cache=False, trace=False)
    one, five = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        await eng.arun(MSG, _policy("sleepy/200", 1))
        one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        r = await eng.arun(MSG, _policy("sleepy/200", 5))
        five.append(time.perf_counter() - t0)
        assert len(r.candidates) == 5
    o, f = statistics.median(one), statistics.median(five)
    return {"one_call_ms": o * 1e3, "k5_ms": f * 1e3, "ratio": f / o}


async def concurrency(n: int) -> dict[str, float]:
    """Wall time of n concurrent requests with a 100 ms provider, through litellm and the seam."""
    out: dict[str, float] = {}
    msgs = [{"role": "user", "content": MSG}]
    t0 = time.perf_counter()  # the floor: the same calls straight to litellm, no engine
    await asyncio.gather(
        *(litellm.acompletion(model="sleepy/100", messages=msgs, max_tokens=16) for _ in range(n))
    )
    out["bare_litellm_wall_s"] = time.perf_counter() - t0
    for label, provider in (
        ("litellm", LiteLLMProvider()),
        ("seam", cascade.FunctionProvider(_sleep_100)),
    ):
        eng = Cascade(provider=provider, cache=False, trace=False)
        prompts = [f"{MSG} {i}" for i in range(n)]
        t0 = time.perf_counter()
        rs = await eng.arun_many(prompts, _policy("sleepy/100"), concurrency=n)
        out[f"{label}_wall_s"] = time.perf_counter() - t0
        assert all(isinstance(r, cascade.Result) and r.accepted for r in rs)
    return out


async def _sleep_100(req: cascade.CallRequest) -> cascade.Completion:
    await asyncio.sleep(0.1)
    return cascade.Completion("hi", 5, 1)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print a table (and JSON with ``--json``)."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks perf")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    _register()
    n = 200 if args.quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        res = {
            "overhead": asyncio.run(overhead(n, Path(tmp))),
            "fan_out": asyncio.run(fan_out(5 if args.quick else 15)),
            "concurrency": asyncio.run(concurrency(1000)),
        }
    o, f, c = res["overhead"], res["fan_out"], res["concurrency"]
    rows = [
        (
            "engine overhead per request (median)",
            f"{o['overhead_ms']:.3f} ms "
            f"({o['overhead_pct']:.1f}% of a bare mocked litellm call, {o['bare_ms']:.3f} ms)",
            "<= 1 ms and <= 10%",
        ),
        (
            "  the same with trace file and cache off",
            f"{o['bare_untraced_overhead_ms']:.3f} ms ({o['bare_untraced_overhead_pct']:.1f}%)",
            "",
        ),
        (
            "k=5 samples, 200 ms provider",
            f"{f['k5_ms']:.0f} ms = {f['ratio']:.2f} x one call ({f['one_call_ms']:.0f} ms)",
            "<= 1.3 x",
        ),
        (
            "1000 concurrent requests, 100 ms provider",
            f"{c['litellm_wall_s']:.2f} s through litellm (litellm alone "
            f"{c['bare_litellm_wall_s']:.2f} s), {c['seam_wall_s']:.2f} s at the seam",
            "<= 2 s",
        ),
        ("cache hit (median)", f"{o['cache_hit_ms']:.3f} ms", "<= 2 ms"),
    ]
    for name, value, target in rows:
        print(f"{name:44} {value:72} target {target}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
