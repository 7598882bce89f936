"""The provider seam: the only module that talks to litellm.

`LiteLLMProvider` sends every model call through ``litellm.acompletion`` and maps litellm's
exceptions into cascade's error tree. `FunctionProvider` turns a plain function into a provider,
for tests and for wrapping anything else.
"""

from __future__ import annotations

import functools
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cascade.errors import (
    BadRequest,
    MissingApiKey,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

TokenPrices = tuple[float, float]


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One model call: a litellm model string, the messages and the sampling parameters.

    ``purpose`` is None for a tier's own samples and the verifier's name for a verifier's call.
    """

    model: str
    messages: tuple[Mapping[str, Any], ...]
    max_tokens: int = 1024
    temperature: float | None = None
    timeout_s: float = 60.0
    sample: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    purpose: str | None = None

    def params(self) -> dict[str, Any]:
        """The parameters that change the answer (part of the cache key)."""
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, **self.extra}


@dataclass(frozen=True, slots=True)
class Completion:
    """A model's answer with its token counts and, when the provider knows it, its cost."""

    text: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None


class Provider(Protocol):
    """Answers one call; raises a `ProviderError` subclass on failure.

    A provider whose ``complete`` works on the event loop's thread without awaiting may set
    ``blocking = True``: the engine then writes the trace events it holds before each call.
    """

    async def complete(self, request: CallRequest) -> Completion: ...

    def price(self, model: str) -> TokenPrices | None: ...


Handler = Callable[[CallRequest], "Completion | str | Awaitable[Completion | str]"]


class FunctionProvider:
    """A provider made from a function ``request -> Completion | str`` (sync or async)."""

    def __init__(self, handler: Handler, prices: Mapping[str, TokenPrices] | None = None):
        self.handler = handler
        self.prices = dict(prices or {})
        # a plain function runs on the event loop's thread and holds it while it works
        self.blocking = not inspect.iscoroutinefunction(handler)

    async def complete(self, request: CallRequest) -> Completion:
        """Call the handler; a plain string becomes a completion with unknown tokens."""
        out = self.handler(request)
        if inspect.isawaitable(out):
            out = await out
        if isinstance(out, str):
            return Completion(text=out)
        return out

    def price(self, model: str) -> TokenPrices | None:
        """The price given for ``model`` at construction, if any."""
        return self.prices.get(model)


class LiteLLMProvider:
    """Every call through ``litellm.acompletion``; extra keyword arguments are passed on."""

    def __init__(self, **litellm_kwargs: Any):
        self.kwargs = litellm_kwargs
        self._drops: set[str] = set()  # models that refused a sampling parameter once
        self._prices: dict[str, TokenPrices | None] = {}

    async def complete(self, request: CallRequest) -> Completion:
        """Call the model once; costs come from litellm's cost map."""
        litellm = _litellm()
        _ensure_local(request.model)
        kwargs: dict[str, Any] = {"max_tokens": request.max_tokens, "timeout": request.timeout_s}
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        kwargs.update(_supported(litellm, request.model, request.extra))
        kwargs.update(self.kwargs)
        try:
            resp = await self._call(litellm, request.model, request.messages, kwargs)
        except Exception as exc:
            raise map_error(exc, request.model) from exc
        text = resp.choices[0].message.content or ""
        usage = getattr(resp, "usage", None)
        t_in = getattr(usage, "prompt_tokens", None)
        t_out = getattr(usage, "completion_tokens", None)
        price = self.price(request.model)
        cost = None if price is None else (t_in or 0) * price[0] + (t_out or 0) * price[1]
        return Completion(text=text, tokens_in=t_in, tokens_out=t_out, cost_usd=cost)

    async def _call(self, litellm: Any, model: str, messages: Any, kwargs: dict[str, Any]) -> Any:
        """One litellm call; a sampling parameter the model does not take (the newest Claude
        models accept only temperature=1) is dropped, for this model from then on."""
        if model in self._drops:
            kwargs.setdefault("drop_params", True)
        try:
            return await litellm.acompletion(model=model, messages=list(messages), **kwargs)
        except litellm.UnsupportedParamsError:
            if kwargs.get("drop_params"):
                raise
            self._drops.add(model)
            return await litellm.acompletion(
                model=model, messages=list(messages), **kwargs, drop_params=True
            )

    def price(self, model: str) -> TokenPrices | None:
        """Per-token (input, output) price from litellm's bundled cost map, or None."""
        if model not in self._prices:
            _ensure_local(model)
            self._prices[model] = _map_price(model)
        return self._prices[model]


@functools.lru_cache(maxsize=256)
def _json_support(model: str) -> tuple[bool, bool]:
    """(accepts response_format, accepts a JSON schema in it) for a litellm model string."""
    litellm = _litellm()
    try:
        params = litellm.get_supported_openai_params(model=model) or []
        schema = bool(litellm.supports_response_schema(model=model))
    except Exception:
        return False, False
    return "response_format" in params, schema


def _supported(litellm: Any, model: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` without a JSON mode the model cannot take (degraded to plain JSON mode)."""
    out = dict(extra)
    fmt = out.get("response_format")
    if fmt is None:
        return out
    plain, with_schema = _json_support(model)
    if not plain:
        del out["response_format"]
    elif fmt.get("type") == "json_schema" and not with_schema:
        out["response_format"] = {"type": "json_object"}
    return out


def _ensure_local(model: str) -> None:
    """Register the keyless local provider the first time a ``local/...`` model is used."""
    if model.startswith("local/"):
        from cascade.local import register

        register()


def _map_price(model: str) -> TokenPrices | None:
    try:
        info = _litellm().get_model_info(model)
    except Exception:
        return None
    pin, pout = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    return None if pin is None or pout is None else (float(pin), float(pout))


def _litellm() -> Any:
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def map_error(exc: BaseException, model: str) -> ProviderError:
    """Translate a litellm (or openai/httpx) exception into cascade's error tree."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    msg = f"{model}: {name}: {str(exc)[:500]}"
    if name == "AuthenticationError" or status in (401, 403):
        return MissingApiKey(_key_message(model, msg), model=model, status=status)
    if name in ("RateLimitError",) or status == 429:
        return RateLimited(msg, model=model, status=status)
    if name in ("Timeout", "APITimeoutError", "TimeoutError") or isinstance(exc, TimeoutError):
        return ProviderTimeout(msg, model=model, status=status)
    if name in (
        "APIConnectionError",
        "InternalServerError",
        "ServiceUnavailableError",
        "BadGatewayError",
    ) or (isinstance(status, int) and status >= 500):
        return ProviderUnavailable(msg, model=model, status=status)
    return BadRequest(msg, model=model, status=status)


def _key_message(model: str, original: str) -> str:
    try:
        missing = _litellm().validate_environment(model).get("missing_keys") or []
    except Exception:
        missing = []
    var = " or ".join(missing) if missing else "the provider's API key variable"
    return (
        f"no valid API key for {model!r}: set {var} in the environment; or pass "
        f"models=[...] (--models) for a provider you have a key for; or run keyless on small "
        f"local models with ladder='local' (--ladder local; pip install 'tiercascade[local]') "
        f"(provider said: {original[:200]})"
    )


def elapsed(t0: float) -> float:
    """Seconds since ``t0`` (a ``time.perf_counter`` reading)."""
    return time.perf_counter() - t0
