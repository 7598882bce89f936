"""A litellm custom provider that answers ``local/<name>`` with a small model on this CPU.

After `register()`, ``litellm.acompletion(model="local/smollm2-135m", messages=...)`` runs the
model through llama-cpp-python (`cascade.local.runtime`) with the chat template stored in its
.gguf: loaded once per process, one call at a time per model, in a worker thread so that the
event loop keeps running while a model generates. Costs come from nominal per-token prices that
`register()` adds to litellm's cost map under ``local/<name>``.

Passed on: ``max_tokens`` (default 1024), ``temperature``, ``top_p``, ``stop``, ``seed``, ``n``,
``presence_penalty``, ``frequency_penalty``; unset ones keep llama-cpp's defaults (temperature
0.2). Other OpenAI parameters (tools, response_format, ...) are ignored. A ``timeout`` ends the
wait: a request still queued for the model is dropped, one already being decoded finishes in its
worker thread before the model's next call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import litellm
from litellm.exceptions import Timeout
from litellm.llms.custom_llm import CustomLLM, CustomLLMError
from litellm.types.utils import Choices, GenericStreamingChunk, Message, ModelResponse, Usage

from cascade.local.assets import MODELS, LocalModelError, get_model
from cascade.local.runtime import DEFAULT_N_CTX, generate, load

PROVIDER = "local"


def text_of(content: Any) -> str:
    """The text of an OpenAI message content: a string, or a list of parts with text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))


def chat_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """OpenAI-style messages reduced to the role and text a chat template reads."""
    return [
        {"role": str(m.get("role", "user")), "content": text_of(m.get("content"))} for m in messages
    ]


def fill(response: ModelResponse, model: str, answers: list[dict[str, Any]]) -> ModelResponse:
    """Put the answers' texts and token counts into litellm's response."""
    response.choices = [
        Choices(
            index=i,
            finish_reason=a["choices"][0].get("finish_reason") or "stop",
            message=Message(role="assistant", content=a["choices"][0]["message"]["content"] or ""),
        )
        for i, a in enumerate(answers)
    ]
    prompt = int(answers[0]["usage"]["prompt_tokens"])
    completion = sum(int(a["usage"]["completion_tokens"]) for a in answers)
    response.usage = Usage(  # type: ignore[attr-defined]
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    response.model = f"{PROVIDER}/{model}"
    return response


class LocalLLM(CustomLLM):
    """The ``local`` provider: completion and acompletion on llama-cpp models."""

    def __init__(self, n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None) -> None:
        super().__init__()
        self.n_ctx = n_ctx
        self.n_threads = n_threads

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        """Answer in the calling thread (``timeout`` is not enforced here)."""
        name, messages, params = _request(kwargs)
        try:
            loaded = load(name, self.n_ctx, self.n_threads)
            answers = generate(loaded, messages, params)
        except (LocalModelError, ValueError) as exc:
            raise bad_request(str(exc)) from exc
        return fill(_response(kwargs), name, answers)

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        """Answer in a worker thread; ``timeout`` bounds the wait for generation."""
        name, messages, params = _request(kwargs)
        timeout = kwargs.get("timeout")
        limit = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None
        gave_up = threading.Event()
        try:
            loaded = await asyncio.to_thread(load, name, self.n_ctx, self.n_threads)
            work = asyncio.to_thread(generate, loaded, messages, params, gave_up)
            answers = await asyncio.wait_for(work, limit)
        except TimeoutError as exc:
            gave_up.set()  # not decoded yet: it is dropped, so that a retry does not queue twice
            raise Timeout(
                message=f"local/{name} did not answer within {limit} s",
                model=name,
                llm_provider=PROVIDER,
            ) from exc
        except (LocalModelError, ValueError) as exc:
            raise bad_request(str(exc)) from exc
        except asyncio.CancelledError:
            gave_up.set()
            raise
        return fill(_response(kwargs), name, answers)

    def streaming(self, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        """Streaming is not offered: refused as a bad request (not retried)."""
        raise bad_request(_NO_STREAM)

    # litellm iterates what astreaming returns without awaiting it: an async generator, whatever
    # the base class's annotation says.
    async def astreaming(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[GenericStreamingChunk]:
        """Streaming is not offered: refused as a bad request (not retried)."""
        raise bad_request(_NO_STREAM)
        yield


_NO_STREAM = "the local provider does not stream; call it without stream=True"


def bad_request(message: str) -> CustomLLMError:
    """An error litellm reports as a 400 (not retried): unknown model, missing package, ..."""
    return CustomLLMError(status_code=400, message=message)  # type: ignore[no-untyped-call]


def _request(kwargs: Mapping[str, Any]) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    name = str(kwargs["model"]).removeprefix(f"{PROVIDER}/")
    try:
        get_model(name)
    except LocalModelError as exc:
        raise bad_request(str(exc)) from None
    params = dict(kwargs.get("optional_params") or {})
    return name, chat_messages(kwargs.get("messages") or []), params


def _response(kwargs: Mapping[str, Any]) -> ModelResponse:
    given = kwargs.get("model_response")
    return given if isinstance(given, ModelResponse) else ModelResponse()


_REGISTER_LOCK = threading.Lock()


def register() -> LocalLLM:
    """Make ``local/<name>`` usable in litellm (idempotent; other providers are kept)."""
    with _REGISTER_LOCK:
        for entry in litellm.custom_provider_map:
            handler = entry.get("custom_handler")
            if entry.get("provider") == PROVIDER and isinstance(handler, LocalLLM):
                return handler
        handler = LocalLLM()
        others = [e for e in litellm.custom_provider_map if e.get("provider") != PROVIDER]
        litellm.custom_provider_map = [*others, {"provider": PROVIDER, "custom_handler": handler}]
        litellm.register_model(_prices())
        return handler


def _prices() -> dict[str, Any]:
    """The declared (nominal) prices in litellm's cost-map format, under ``local/<name>``."""
    return {
        f"{PROVIDER}/{m.name}": {
            "input_cost_per_token": m.input_cost_per_token,
            "output_cost_per_token": m.output_cost_per_token,
            "cache_creation_input_token_cost": 0.0,
            "cache_read_input_token_cost": 0.0,
            "litellm_provider": PROVIDER,
            "mode": "chat",
            "max_input_tokens": DEFAULT_N_CTX,
            "max_tokens": DEFAULT_N_CTX,
        }
        for m in MODELS.values()
    }
