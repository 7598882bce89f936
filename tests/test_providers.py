"""The litellm seam: contract tests through litellm itself, error mapping, no network."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm.exceptions import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    RateLimitError,
    Timeout,
)
from litellm.llms.custom_llm import CustomLLM

from cascade import (
    BadRequest,
    Cascade,
    LiteLLMProvider,
    MissingApiKey,
    Policy,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    Tier,
)
from cascade.providers import CallRequest, map_error

HAIKU = "anthropic/claude-haiku-5-5"


def _policy(*models: str, **kw: Any) -> Policy:
    return Policy(name="contract", tiers=tuple(Tier(model=m, max_tokens=64) for m in models), **kw)


def test_contract_through_litellm_mock_response() -> None:
    eng = Cascade(provider=LiteLLMProvider(mock_response="Paris"), cache=False, trace=False)
    r = eng.run("Capital of France?", _policy(HAIKU))
    assert (r.text, r.model, r.accepted) == ("Paris", HAIKU, True)
    call = r.trace[0]
    # litellm's mock reports 10 prompt and 20 completion tokens; price from the bundled cost map
    assert (call.tokens_in, call.tokens_out) == (10, 20)
    info = litellm.get_model_info(HAIKU)
    expected = 10 * (info["input_cost_per_token"] or 0) + 20 * (info["output_cost_per_token"] or 0)
    assert r.cost_usd == pytest.approx(expected)


class _Fake(CustomLLM):
    """A litellm custom provider: 'myfake/cheap' answers badly, 'myfake/top' well."""

    def __init__(self) -> None:
        super().__init__()
        self.models: list[str] = []

    async def acompletion(
        self, model: str, messages: list[Any], *args: Any, **kwargs: Any
    ) -> litellm.ModelResponse:
        self.models.append(model)
        text = "" if model == "cheap" else "a fine answer"
        return litellm.ModelResponse(
            choices=[{"message": {"role": "assistant", "content": text}}],
            usage={"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        )


@pytest.fixture
def fake_provider() -> Iterator[_Fake]:
    handler = _Fake()
    saved = list(litellm.custom_provider_map)
    litellm.custom_provider_map = [*saved, {"provider": "myfake", "custom_handler": handler}]
    litellm.utils.custom_llm_setup()  # type: ignore[no-untyped-call]
    yield handler
    litellm.custom_provider_map = saved
    litellm.utils.custom_llm_setup()  # type: ignore[no-untyped-call]


def test_contract_through_litellm_custom_provider(fake_provider: _Fake) -> None:
    prices = {
        "myfake/cheap": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
        "myfake/top": {"input_cost_per_token": 1e-5, "output_cost_per_token": 1e-5},
    }
    pol = _policy("myfake/cheap", "myfake/top", prices=prices)
    eng = Cascade(provider=LiteLLMProvider(), cache=False, trace=False)
    r = eng.run("q", pol)
    assert fake_provider.models == ["cheap", "top"]
    assert (r.model, r.text, r.accepted) == ("myfake/top", "a fine answer", True)
    assert r.cost_usd == pytest.approx(10 * 1e-6 + 10 * 1e-5)


@pytest.mark.parametrize(
    ("exc", "mapped"),
    [
        (RateLimitError("slow down", llm_provider="anthropic", model=HAIKU), RateLimited),
        (Timeout("too slow", model=HAIKU, llm_provider="anthropic"), ProviderTimeout),
        (
            InternalServerError("boom", llm_provider="anthropic", model=HAIKU),
            ProviderUnavailable,
        ),
        (
            APIConnectionError("no route", llm_provider="anthropic", model=HAIKU),
            ProviderUnavailable,
        ),
        (
            AuthenticationError("bad key", llm_provider="anthropic", model=HAIKU),
            MissingApiKey,
        ),
        (BadRequestError("bad", model=HAIKU, llm_provider="anthropic"), BadRequest),
    ],
)
def test_litellm_errors_map_into_our_tree(exc: Exception, mapped: type) -> None:
    assert type(map_error(exc, HAIKU)) is mapped
    provider = LiteLLMProvider(mock_response=exc)
    req = CallRequest(HAIKU, ({"role": "user", "content": "q"},), max_tokens=8)
    import asyncio

    with pytest.raises(mapped):
        asyncio.run(provider.complete(req))


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    eng = Cascade(cache=False, trace=False, backoff_s=0)
    with pytest.raises(MissingApiKey, match="ANTHROPIC_API_KEY") as info:
        eng.run("q", _policy(HAIKU))
    assert "models=" in str(info.value)
    assert info.value.trace[0].kind == "error"


def test_unknown_model_has_no_price() -> None:
    assert LiteLLMProvider().price("nobody/nothing") is None
    assert LiteLLMProvider().price(HAIKU) is not None


def test_import_reaches_no_network() -> None:
    code = (
        "import socket\n"
        "def deny(*a, **k): raise RuntimeError('network used at import')\n"
        "socket.socket.connect = deny\n"
        "socket.create_connection = deny\n"
        "socket.getaddrinfo = deny\n"
        "import os; os.environ.pop('LITELLM_LOCAL_MODEL_COST_MAP', None)\n"
        "import cascade\n"
        "from cascade import LiteLLMProvider\n"
        "assert LiteLLMProvider().price('anthropic/claude-haiku-5-5') is not None\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_parameters_a_model_does_not_take_are_dropped() -> None:
    pol = Policy(name="t", tiers=(Tier(model=HAIKU, samples=2, temperature=0.3, max_tokens=8),))
    eng = Cascade(provider=LiteLLMProvider(mock_response="ok"), cache=False, trace=False)
    r = eng.run("q", pol)
    assert len(r.candidates) == 2 and not [e for e in r.trace if e.kind == "error"]
