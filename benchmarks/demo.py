"""A walk through the engine with no API key: models served by a litellm custom provider.

Run: ``python -m benchmarks.demo``. It registers the provider ``myfake`` with litellm (models
``myfake/cheap``, ``myfake/flaky``, ``myfake/top``), then uses only cascade's public API to show:
an accepted cheap answer costs one call; a tier whose calls fail escalates to the next; the trace
holds one event per step; the cost is the sum of the steps; a repeated request is a free cache hit.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import litellm
from litellm.exceptions import ServiceUnavailableError
from litellm.llms.custom_llm import CustomLLM

import cascade


class FakeModels(CustomLLM):
    """``cheap`` and ``top`` answer; ``flaky`` always fails with a 503."""

    async def acompletion(
        self, model: str, messages: list[Any], *args: Any, **kwargs: Any
    ) -> litellm.ModelResponse:
        if model == "flaky":
            raise ServiceUnavailableError("overloaded", llm_provider="myfake", model=model)
        question = messages[-1]["content"]
        return litellm.ModelResponse(
            choices=[{"message": {"role": "assistant", "content": f"[{model}] re: {question}"}}],
            usage={"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
        )


POLICY = """
name = "demo"
retries = 1
[[tiers]]
model = "myfake/cheap"
[[tiers]]
model = "myfake/top"
[[verifiers]]
kind = "non_empty"
[prices."myfake/cheap"]
input_cost_per_token = 1e-7
output_cost_per_token = 5e-7
[prices."myfake/flaky"]
input_cost_per_token = 1e-7
output_cost_per_token = 5e-7
[prices."myfake/top"]
input_cost_per_token = 4e-6
output_cost_per_token = 2e-5
"""


def _show(title: str, r: cascade.Result) -> None:
    print(
        f"\n== {title}\n   answer: {r.text!r}\n   model: {r.model} (tier {r.tier}), "
        f"accepted: {r.accepted}, cost: ${r.cost_usd:.8f}, provider calls: {r.calls}"
    )
    for e in r.trace:
        extra = f" error={e.error[:60]!r}" if e.error else ""
        cost = f" ${e.cost_usd:.8f}" if e.cost_usd is not None else ""
        print(f"   step {e.step}: {e.kind:9} tier={e.tier} {e.model or ''}{cost}{extra}")


def main() -> int:
    """Run the walk-through; exits non-zero if any claim does not hold."""
    litellm.custom_provider_map = [
        *[p for p in litellm.custom_provider_map if p["provider"] != "myfake"],
        {"provider": "myfake", "custom_handler": FakeModels()},
    ]
    litellm.utils.custom_llm_setup()  # type: ignore[no-untyped-call]
    with tempfile.TemporaryDirectory() as tmp:
        policy = cascade.policy_from_toml(POLICY, source="demo policy")
        trace_file = Path(tmp) / "trace.jsonl"
        engine = cascade.Cascade(cache=Path(tmp) / "cache", trace=trace_file, backoff_s=0.01)

        r1 = engine.run("What is 2+2?", policy)
        _show("1. the cheap tier's answer is accepted: one call", r1)
        assert r1.accepted and r1.model == "myfake/cheap" and r1.calls == 1

        r2 = engine.run("What is 3+3?", policy, models=["myfake/flaky", "myfake/top"])
        _show("2. the cheap tier's calls fail (503, retried once): the cascade moves on", r2)
        assert r2.model == "myfake/top" and [e.kind for e in r2.trace].count("error") == 2

        steps = sum(e.cost_usd or 0 for e in r2.trace if e.kind in ("call", "verdict"))
        print(f"\n== 3. cost is the sum of the steps: {r2.cost_usd:.8f} == {steps:.8f}")
        assert abs(r2.cost_usd - steps) < 1e-15

        lines = cascade.read_events(trace_file)
        print(
            f"== 4. the trace file holds one line per step: {len(lines)} lines for "
            f"{len(r1.trace) + len(r2.trace)} steps"
        )
        assert len(lines) == len(r1.trace) + len(r2.trace)

        r3 = engine.run("What is 2+2?", policy)
        _show("5. the same request again: a cache hit, no provider call, cost 0", r3)
        assert r3.cost_usd == 0 and r3.calls == 0 and r3.trace[0].kind == "cache_hit"
        engine.close()
    print("\nall claims hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
