"""Speed of the local models on this machine: load time, memory, prompt and generation tokens/s.

    python benchmarks/local_speed.py [--models smollm2-135m ...] [--max-tokens 128] [--json out]

Each model runs in its own process (so RSS is that model's alone), first straight on llama-cpp
(the model's own speed), then through ``litellm.acompletion`` (the provider's overhead). Prompt
and decode tokens/s are llama.cpp's own timings, from a cold context each run (no prefix reuse),
best of ``--repeats``. The first run of a model also assembles its .gguf into the cache
(``first_use_s``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PROMPTS = {
    "math": "What is 17*23? Answer with the number.",
    "code": "Write a Python function is_prime(n) that returns True when n is a prime number.",
}


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc."""
    fields = {}
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def timed_chat(loaded: Any, prompt: str, max_tokens: int) -> dict[str, float]:
    """One greedy answer (from an empty context): wall time, token counts, llama.cpp's timings."""
    from cascade.local.runtime import generate

    llama_cpp = importlib.import_module("llama_cpp")

    llama = loaded.llama
    llama._ctx.reset_timings()
    messages = [{"role": "user", "content": prompt}]
    t0 = time.perf_counter()
    answer = generate(loaded, messages, {"max_tokens": max_tokens, "temperature": 0, "seed": 0})
    wall = time.perf_counter() - t0
    perf = llama_cpp.llama_perf_context(llama._ctx.ctx)
    return {
        "seconds": wall,
        "prompt_tokens": answer[0]["usage"]["prompt_tokens"],
        "completion_tokens": answer[0]["usage"]["completion_tokens"],
        "prompt_tok_s": perf.n_p_eval / perf.t_p_eval_ms * 1000 if perf.t_p_eval_ms else 0.0,
        "decode_tok_s": perf.n_eval / perf.t_eval_ms * 1000 if perf.t_eval_ms else 0.0,
    }


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest of several runs (the one least slowed by other work on the machine)."""
    top = min(runs, key=lambda r: r["seconds"])
    return {
        "prompt_tokens": top["prompt_tokens"],
        "completion_tokens": top["completion_tokens"],
        "seconds": round(top["seconds"], 3),
        "prompt_tok_s": round(max(r["prompt_tok_s"] for r in runs), 1),
        "decode_tok_s": round(max(r["decode_tok_s"] for r in runs), 1),
        "end_to_end_tok_s": round(top["completion_tokens"] / top["seconds"], 1),
    }


def measure_one(name: str, max_tokens: int, repeats: int) -> dict[str, Any]:
    """Every number for one model, in this process."""
    from cascade.local import assets, host, runtime

    result: dict[str, Any] = {
        "model": name,
        "threads": host.threads(),
        "extra_buffers": host.extra_buffers(),
    }
    t0 = time.perf_counter()
    assets.model_path(name)
    result["first_use_s"] = round(time.perf_counter() - t0, 2)
    result["rss_before_mb"] = round(rss_mb()[0])
    t0 = time.perf_counter()
    loaded = runtime.load(name)
    result["load_s"] = round(time.perf_counter() - t0, 2)
    result["rss_loaded_mb"] = round(rss_mb()[0])
    timed_chat(loaded, "Hi", 4)
    for label, prompt in PROMPTS.items():
        result[label] = best([timed_chat(loaded, prompt, max_tokens) for _ in range(repeats)])
    result["litellm_overhead_s"] = round(asyncio.run(litellm_overhead(name, loaded)), 3)
    result["rss_peak_mb"] = round(rss_mb()[1])
    return result


async def litellm_overhead(name: str, loaded: Any) -> float:
    """Seconds a short call through litellm takes beyond the same call straight on llama-cpp."""
    import litellm

    from cascade.local import register

    register()
    messages = [{"role": "user", "content": PROMPTS["math"]}]

    async def through() -> float:
        t0 = time.perf_counter()
        await litellm.acompletion(
            model=f"local/{name}", messages=messages, max_tokens=16, temperature=0, seed=0
        )
        return time.perf_counter() - t0

    await through()
    via = min([await through() for _ in range(3)])
    direct = min(timed_chat(loaded, PROMPTS["math"], 16)["seconds"] for _ in range(3))
    return via - direct


def run_child(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one model in a fresh process; its JSON line is the last line of stdout."""
    cmd = [
        sys.executable,
        __file__,
        "--one",
        name,
        "--max-tokens",
        str(args.max_tokens),
        "--repeats",
        str(args.repeats),
    ]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if out.returncode != 0:
        return {"model": name, "error": f"exit code {out.returncode}; its stderr is above"}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def table(results: list[dict[str, Any]]) -> str:
    """A plain-text table of the results."""
    head = (
        f"{'model':<20} {'load s':>6} {'RSS MB':>7} {'peak MB':>7} {'prompt t/s':>10} "
        f"{'math t/s':>8} {'code t/s':>8} {'code out':>8} {'litellm +s':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        if "error" in r:
            lines.append(f"{r['model']:<20} failed: {r['error']}")
            continue
        lines.append(
            f"{r['model']:<20} {r['load_s']:>6} {r['rss_loaded_mb']:>7} {r['rss_peak_mb']:>7} "
            f"{r['code']['prompt_tok_s']:>10} {r['math']['decode_tok_s']!s:>8} "
            f"{r['code']['decode_tok_s']!s:>8} {r['code']['completion_tokens']:>8} "
            f"{r['litellm_overhead_s']:>10}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure the chosen models one process each and print a table (and JSON if asked)."""
    from cascade.local import MODELS
    from cascade.local.host import extra_buffers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one, args.max_tokens, args.repeats)))
        return 0
    load_before = os.getloadavg()[0]
    results = [run_child(name, args) for name in args.models]
    print(table(results))
    buffers = "repacked" if extra_buffers() else "plain"
    print(
        f"cpus={os.cpu_count()} weights={buffers} load average before={load_before:.2f} "
        f"after={os.getloadavg()[0]:.2f} (other work on the machine slows every number)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
