"""Several samples of one prompt decoded together: the prompt is evaluated once, then every step
decodes one token of each unfinished sample in a single batch.

On a CPU a decoding step of a small model is bound by reading its weights, so a step with five
tokens costs far less than five steps with one: measured here with ``benchmarks.local_speed``.

Each sample is drawn as ``Llama.create_chat_completion`` draws one: the prompt comes from the
model's own chat handler (asked through a stand-in that stops it before it generates), each
sample gets the same sampler chain with its own seed, and stop strings, end-of-generation
tokens and ``max_tokens`` end a sample as they end a completion there. So the samples follow
the same distribution; the texts are the same as one call after another would give until a
near tie between two tokens, where the rounding of a batched step can tip the choice.
Requests this module does not reproduce (grammars, logit biases, logprobs, mirostat, streaming)
return None, and the caller generates them one at a time.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MAX_SEQUENCES", "BatchDecoder"]

#: Samples decoded together at most; a larger ``n`` is decoded in groups of this size.
MAX_SEQUENCES = 8
_SLACK = 4  # cells kept per sample beyond max_tokens

# Parameters of a captured completion that this module cannot reproduce when set.
_UNSUPPORTED = ("logits_processor", "grammar", "logit_bias", "logprobs", "stream", "suffix")


class _Captured(Exception):
    """Carries the arguments the chat handler passed to ``create_completion``."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__("captured")
        self.kwargs = kwargs


class _StandIn:
    """The model as its chat handler sees it, except that ``create_completion`` hands back its
    arguments instead of generating."""

    def __init__(self, llama: Any) -> None:
        self._llama = llama

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)

    def create_completion(self, **kwargs: Any) -> Any:
        raise _Captured(kwargs)


def completion_arguments(
    llama: Any, messages: list[dict[str, str]], **params: Any
) -> dict[str, Any]:
    """What ``llama.create_chat_completion(messages=..., **params)`` would pass to
    ``create_completion``: the prompt's tokens, stop strings, sampling parameters."""
    method = type(llama).create_chat_completion
    try:
        method(_StandIn(llama), messages=messages, **params)
    except _Captured as captured:
        return captured.kwargs
    raise RuntimeError("the chat handler did not ask for a completion")


@dataclass
class _Sequence:
    """One sample being decoded."""

    sampler: Any
    index: int  # the batch position of the logits to sample from next
    tokens: list[int] = field(default_factory=list)
    evaluated: int = 0  # how many of ``tokens`` the context has decoded
    text: bytes | None = None  # set when finished
    finish: str = "length"
    fix: int = 0  # tokens still to take before the stop checks (a cut UTF-8 character)


class BatchDecoder:
    """A second llama context on a loaded model, with room for several sequences.

    Not thread-safe: the caller holds the model's lock around `generate`.
    """

    def __init__(self, llama: Any, n_ctx: int, n_threads: int) -> None:
        from llama_cpp import _internals, llama_cpp

        self._api = llama_cpp
        self._llama = llama
        self.n_ctx = n_ctx
        params = llama_cpp.llama_context_params.from_buffer_copy(llama.context_params)
        params.n_ctx = n_ctx
        params.n_seq_max = MAX_SEQUENCES
        params.kv_unified = True  # the samples share the prompt's cells
        params.n_threads = params.n_threads_batch = n_threads
        self._ctx: Any = _internals.LlamaContext(model=llama._model, params=params, verbose=False)
        self._n_batch = int(params.n_batch)
        self._batch: Any = _internals.LlamaBatch(
            n_tokens=max(self._n_batch, MAX_SEQUENCES), embd=0, n_seq_max=1, verbose=False
        )

    def close(self) -> None:
        """Free the context and its batch."""
        self._batch.close()
        self._ctx.close()

    def generate(
        self,
        messages: list[dict[str, str]],
        seeds: Sequence[int | None],
        params: Mapping[str, Any],
    ) -> list[dict[str, Any]] | None:
        """One answer per seed, shaped like ``create_chat_completion``'s, or None when this
        request needs the one-at-a-time path. A seed of None draws one as consecutive
        completions do.

        Raises ValueError when the prompt does not fit the model's context.
        """
        call = completion_arguments(self._llama, messages, **params)
        if any(call.get(k) for k in _UNSUPPORTED) or call.get("mirostat_mode"):
            return None
        prompt = list(call["prompt"])
        limit = self._llama.n_ctx()
        if len(prompt) >= limit:
            raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {limit}")
        max_tokens = call.get("max_tokens")
        if max_tokens is None or max_tokens <= 0 or max_tokens + len(prompt) >= limit:
            max_tokens = limit - len(prompt)
        # A sample can run a few tokens past max_tokens while it completes a UTF-8 character.
        room = (self.n_ctx - len(prompt)) // (max_tokens + _SLACK)
        group = max(1, min(MAX_SEQUENCES, room))
        if len(seeds) < 2 or group < 2:
            return None
        answers: list[dict[str, Any]] = []
        for start in range(0, len(seeds), group):
            part = self._decode(prompt, seeds[start : start + group], max_tokens, call)
            answers += [_answer(len(prompt), s) for s in part]
        return answers

    def _decode(
        self,
        prompt: list[int],
        seeds: Sequence[int | None],
        max_tokens: int,
        call: Mapping[str, Any],
    ) -> list[_Sequence]:
        api, llama, ctx = self._api, self._llama, self._ctx
        api.llama_memory_clear(api.llama_get_memory(ctx.ctx), True)
        last = 0
        for start in range(0, len(prompt), self._n_batch):
            chunk = prompt[start : start + self._n_batch]
            self._fill([(t, start + i, 0) for i, t in enumerate(chunk)], logits_last=True)
            ctx.decode(self._batch)
            last = len(chunk) - 1
        memory = api.llama_get_memory(ctx.ctx)
        for s in range(1, len(seeds)):
            api.llama_memory_seq_cp(memory, 0, s, -1, -1)
        stops = [s.encode("utf-8") for s in _stops(call.get("stop"))]
        criteria = call.get("stopping_criteria")
        seqs = []
        for seed in seeds:  # drawn as consecutive completions draw theirs
            llama.set_seed(random.Random(llama._seed).randint(0, 2**32) if seed is None else seed)
            sampler = llama._init_sampler(
                top_k=call.get("top_k", 40),
                top_p=call.get("top_p", 0.95),
                min_p=call.get("min_p", 0.05),
                typical_p=call.get("typical_p", 1.0),
                temp=call.get("temperature", 0.8),
                repeat_penalty=call.get("repeat_penalty", 1.0),
                frequency_penalty=call.get("frequency_penalty", 0.0),
                presence_penalty=call.get("presence_penalty", 0.0),
                tfs_z=call.get("tfs_z", 1.0),
            )
            seqs.append(_Sequence(sampler, index=last))
        try:
            while True:
                step = []
                for s, seq in enumerate(seqs):
                    if seq.text is None:
                        token = seq.sampler.sample(ctx, seq.index)
                        if self._advance(seq, token, prompt, stops, max_tokens, criteria):
                            step.append((token, len(prompt) + len(seq.tokens) - 1, s))
                if not step:
                    break
                self._fill(step, logits_last=False)
                ctx.decode(self._batch)
                for i, (_, _, s) in enumerate(step):
                    seqs[s].index, seqs[s].evaluated = i, len(seqs[s].tokens)
        finally:
            for seq in seqs:
                seq.sampler.close()
        for seq in seqs:  # as a completion ends: the criteria see what was decoded
            if _criteria_met(criteria, prompt + seq.tokens[: seq.evaluated]):
                seq.text, seq.finish = llama.detokenize(seq.tokens, prev_tokens=prompt), "stop"
        return seqs

    def _advance(
        self,
        seq: _Sequence,
        token: int,
        prompt: list[int],
        stops: list[bytes],
        max_tokens: int,
        criteria: Any,
    ) -> bool:
        """Take ``token`` into ``seq``; whether the sample goes on (the token is then decoded).

        The order of the checks is that of llama-cpp-python's completion loop.
        """
        llama = self._llama
        if _criteria_met(criteria, prompt + seq.tokens):  # the generator ends before the token
            seq.text, seq.finish = llama.detokenize(seq.tokens, prev_tokens=prompt), "stop"
            return False
        if self._api.llama_vocab_is_eog(llama._model.vocab, token):
            seq.text, seq.finish = llama.detokenize(seq.tokens, prev_tokens=prompt), "stop"
            return False
        seq.tokens.append(token)
        text = llama.detokenize(seq.tokens, prev_tokens=prompt)
        seq.fix = _cut_character(text, seq.fix)
        if seq.fix > 0:
            seq.fix -= 1
            return True
        found = [s for s in stops if s in text]
        if found:
            seq.text, seq.finish = text[: text.index(found[0])], "stop"
            return False
        if len(seq.tokens) >= max_tokens:
            seq.text, seq.finish = text, "length"
            return False
        return True

    def _fill(self, tokens: Sequence[tuple[int, int, int]], logits_last: bool) -> None:
        """The batch: (token, position, sequence) each; logits for every token, or the last."""
        self._batch.reset()
        b = self._batch.batch
        for i, (token, pos, seq) in enumerate(tokens):
            b.token[i], b.pos[i], b.n_seq_id[i] = token, pos, 1
            b.seq_id[i][0] = seq
            b.logits[i] = not logits_last or i == len(tokens) - 1
        b.n_tokens = len(tokens)


def _stops(stop: Any) -> list[str]:
    if isinstance(stop, str):
        return [stop]
    return [s for s in stop or () if isinstance(s, str)]


def _criteria_met(criteria: Any, evaluated: list[int]) -> bool:
    """The chat handler's stopping criteria on the decoded tokens (they read no scores)."""
    return criteria is not None and bool(criteria(np.asarray(evaluated, dtype=np.intc), None))


def _cut_character(text: bytes, fix: int) -> int:
    """How many more tokens to take before the stop checks: a text that ends inside a UTF-8
    character waits for the rest, counted as llama-cpp-python's completion loop counts it."""
    for k, char in enumerate(text[-3:]):
        k = 3 - k
        for num, pattern in ((2, 192), (3, 224), (4, 240)):
            if num > k and pattern & char == pattern:
                fix = num - k
    return fix


def _answer(prompt_tokens: int, seq: _Sequence) -> dict[str, Any]:
    text = (seq.text or b"").decode("utf-8", errors="ignore")
    return {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": seq.finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(seq.tokens),
            "total_tokens": prompt_tokens + len(seq.tokens),
        },
    }
