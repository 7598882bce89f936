"""cascade.local.provider: ``local/<name>`` through litellm, on the real SmolLM2 model."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import litellm
import pytest
from litellm.exceptions import BadRequestError, Timeout

from cascade.local import LADDER, provider, register, runtime
from tests.test_local_runtime import _Echo, serve_smollm

REPO = Path(__file__).resolve().parents[1]
QUESTION = [{"role": "user", "content": "What is 17*23? Answer with the number."}]
SMOL = "local/smollm2-135m"


@pytest.fixture(autouse=True)
def _own_provider_map(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an empty litellm provider map and leaves it as it was."""
    monkeypatch.setattr(litellm, "custom_provider_map", [])


@pytest.fixture(scope="session")
def smollm_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache directory of the loaded SmolLM2, for the whole session."""
    yield from serve_smollm(tmp_path_factory)


@pytest.fixture
def smol(smollm_dir: Path) -> str:
    """The litellm model string of the loaded SmolLM2, with the provider registered."""
    register()
    return SMOL


@pytest.mark.local_model
async def test_acompletion_returns_text_and_usage(smol: str) -> None:
    resp = await litellm.acompletion(
        model=smol, messages=QUESTION, max_tokens=24, temperature=0, seed=1
    )
    assert isinstance(resp, litellm.ModelResponse)
    text = resp.choices[0].message.content
    assert isinstance(text, str) and text.strip()
    usage = resp.usage
    assert usage.prompt_tokens > 5
    assert 0 < usage.completion_tokens <= 24
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert resp.model == SMOL
    expected = usage.prompt_tokens * 1e-7 + usage.completion_tokens * 5e-7
    assert resp._hidden_params["response_cost"] == pytest.approx(expected)


@pytest.mark.local_model
def test_sync_completion(smol: str) -> None:
    resp = litellm.completion(model=smol, messages=QUESTION, max_tokens=8, temperature=0)
    assert resp.choices[0].message.content
    assert 0 < resp.usage.completion_tokens <= 8


@pytest.mark.local_model
async def test_same_seed_same_answer_and_n_samples(smol: str) -> None:
    args: dict[str, Any] = {"model": smol, "messages": QUESTION, "max_tokens": 12}
    first = await litellm.acompletion(**args, temperature=0.9, seed=7)
    again = await litellm.acompletion(**args, temperature=0.9, seed=7)
    assert first.choices[0].message.content == again.choices[0].message.content
    many = await litellm.acompletion(**args, temperature=0.9, seed=7, n=3)
    assert [c.index for c in many.choices] == [0, 1, 2]
    assert all(c.message.content for c in many.choices)
    assert many.usage.prompt_tokens == first.usage.prompt_tokens
    again = await litellm.acompletion(**args, temperature=0.9, seed=7, n=3)
    assert [c.message.content for c in again.choices] == [c.message.content for c in many.choices]


@pytest.mark.local_model
async def test_generation_does_not_block_the_event_loop(smol: str) -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    story = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    resp = await litellm.acompletion(model=smol, messages=story, max_tokens=64, temperature=0)
    done.set()
    await task
    assert resp.usage.completion_tokens > 16
    assert ticks >= 10


@pytest.mark.local_model
async def test_concurrent_calls_are_serialized_per_model(smol: str) -> None:
    calls = [
        litellm.acompletion(model=smol, messages=QUESTION, max_tokens=12, temperature=0)
        for _ in range(3)
    ]
    answers = await asyncio.gather(*calls)
    assert len({a.choices[0].message.content for a in answers}) == 1


@pytest.mark.local_model
async def test_timeout_raises_and_the_model_recovers(smol: str) -> None:
    story = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    with pytest.raises(Timeout, match="did not answer within"):
        await litellm.acompletion(model=smol, messages=story, max_tokens=200, timeout=0.05)
    resp = await litellm.acompletion(model=smol, messages=QUESTION, max_tokens=4, temperature=0)
    assert resp.choices[0].message.content


async def test_a_request_that_times_out_in_the_queue_is_never_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    echo = _Echo()
    loaded = runtime.LoadedModel(echo)
    monkeypatch.setattr(provider, "load", lambda *args: loaded)
    register()
    with loaded.lock:  # the model is busy with another request for longer than the timeout
        with pytest.raises(Timeout, match="did not answer within"):
            await litellm.acompletion(model=SMOL, messages=QUESTION, max_tokens=4, timeout=0.2)
        assert len(loaded.waiting) == 1  # still queued: its worker thread waits for the model
    deadline = time.monotonic() + 5
    while loaded.waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    with loaded.lock:  # the queued request's turn has come and gone
        assert loaded.waiting == {}
        assert echo.calls == []  # dropped, not decoded for nobody (a retry would queue again)


@pytest.mark.local_model
async def test_message_parts_and_system_prompt(smol: str) -> None:
    messages = [
        {"role": "system", "content": "You answer in one word."},
        {"role": "user", "content": [{"type": "text", "text": "Name a colour."}]},
    ]
    resp = await litellm.acompletion(model=smol, messages=messages, max_tokens=6, temperature=0)
    assert resp.choices[0].message.content


async def test_streaming_is_refused_as_a_bad_request() -> None:
    register()
    with pytest.raises(BadRequestError, match="does not stream"):
        stream = await litellm.acompletion(model=SMOL, messages=QUESTION, stream=True)
        async for _ in stream:
            pass
    with pytest.raises(BadRequestError, match="does not stream"):
        litellm.completion(model=SMOL, messages=QUESTION, stream=True)


async def test_unknown_local_model_is_a_bad_request() -> None:
    register()
    with pytest.raises(BadRequestError, match="valid: smollm2-135m"):
        await litellm.acompletion(model="local/gpt-7", messages=QUESTION, max_tokens=4)


async def test_missing_llama_cpp_through_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    handler = provider.LocalLLM(n_ctx=777)
    entry = {"provider": "local", "custom_handler": handler}
    monkeypatch.setattr(litellm, "custom_provider_map", [entry])
    with pytest.raises(BadRequestError, match="tiercascade\\[local\\]"):
        await litellm.acompletion(model=SMOL, messages=QUESTION, max_tokens=4)


def test_register_is_idempotent_and_keeps_other_providers() -> None:
    other = provider.LocalLLM()
    litellm.custom_provider_map = [{"provider": "elsewhere", "custom_handler": other}]
    first = register()
    assert register() is first
    entries = [(e["provider"], e["custom_handler"]) for e in litellm.custom_provider_map]
    assert entries == [("elsewhere", other), ("local", first)]
    info = litellm.get_model_info("local/qwen2.5-coder-1.5b")
    assert (info["input_cost_per_token"], info["output_cost_per_token"]) == (4e-6, 2e-5)
    assert LADDER == ("local/smollm2-135m", "local/qwen2.5-coder-0.5b", "local/qwen2.5-coder-1.5b")


def test_importing_the_package_loads_nothing_heavy() -> None:
    code = (
        "import sys, cascade.local; "
        "print(sorted(m for m in ('llama_cpp', 'cascade.local.provider') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.local_model
def test_cascade_run_end_to_end_on_smollm2(smol: str, tmp_path: Path) -> None:
    """The whole path with a real model and no key: policy, litellm, local provider, verifier,
    price, trace, cache."""
    import cascade

    prompt = QUESTION[0]["content"]
    r = cascade.run(prompt, policy="math", models=[SMOL])
    assert r.model == SMOL and r.tier == 0 and r.text.strip()
    n = len(r.candidates)  # one forced model takes the preset's top-tier settings
    assert r.cost_usd > 0  # the declared local price
    assert r.cost_usd == pytest.approx(sum(e.cost_usd or 0 for e in r.trace if e.kind == "call"))
    kinds = [e.kind for e in r.trace]
    assert n >= 1 and kinds.count("call") == n and kinds[-1] in ("accept", "exhausted")
    on_disk = cascade.read_events(tmp_path / "traces")
    assert [e["kind"] for e in on_disk] == kinds
    again = cascade.run(prompt, policy="math", models=[SMOL])
    assert again.cost_usd == 0 and again.text == r.text
    assert {e.kind for e in again.trace} >= {"cache_hit"}
