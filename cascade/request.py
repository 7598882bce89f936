"""Turning the caller's arguments into messages, a task and provider parameters."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cascade.errors import PolicyError

Prompt = str | Sequence[Mapping[str, Any]]
Schema = Mapping[str, Any] | type
Messages = tuple[Mapping[str, Any], ...]


def build_messages(prompt: Prompt, system: str | None) -> Messages:
    """The chat messages for a prompt string or message list, with the policy's system prompt."""
    if isinstance(prompt, str):
        if not prompt.strip():
            raise ValueError("prompt is empty; pass the request text or a list of chat messages")
        msgs: list[Mapping[str, Any]] = [{"role": "user", "content": prompt}]
    else:
        msgs = list(prompt)
        if not msgs or not all(isinstance(m, Mapping) and "role" in m for m in msgs):
            raise ValueError(
                "prompt must be a string or a non-empty list of {'role': ..., 'content': ...} "
                "messages"
            )
    if system and msgs[0].get("role") != "system":
        msgs.insert(0, {"role": "system", "content": system})
    return tuple(msgs)


def prompt_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The request's text: the last user message."""
    users = [m for m in messages if m.get("role") == "user"]
    return str((users or list(messages))[-1].get("content", ""))


def messages_digest(messages: Sequence[Mapping[str, Any]]) -> str:
    """The sha256 (hex) of the messages' canonical JSON: one hash serves the trace's prompt hash
    and every cache key of the request."""
    blob = json.dumps(list(messages), sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def prompt_hash(messages: Sequence[Mapping[str, Any]], digest: str | None = None) -> str:
    """The first 16 hex digits of the messages' digest (`messages_digest`)."""
    return (digest or messages_digest(messages))[:16]


def resolve_schema(schema: Schema | None) -> tuple[dict[str, Any] | None, type | None]:
    """A JSON Schema dict (checked) and the pydantic class it came from, if any."""
    if schema is None:
        return None, None
    cls: type | None = None
    if isinstance(schema, type):
        if not hasattr(schema, "model_json_schema"):
            raise PolicyError(
                f"schema must be a JSON Schema dict or a pydantic model class, got "
                f"the class {schema.__name__}",
                field="schema",
            )
        cls, schema = schema, schema.model_json_schema()
    if not isinstance(schema, Mapping):
        raise PolicyError(
            f"schema must be a JSON Schema dict or a pydantic model class, got "
            f"{type(schema).__name__}",
            field="schema",
        )
    plain: dict[str, Any] = _plain(schema)
    try:
        key = json.dumps(plain, sort_keys=True)
    except (TypeError, ValueError):
        problem = _schema_problem_of(plain)  # not JSON: the check names what is wrong
    else:
        problem = _schema_problem(key)
    if problem is not None:
        raise PolicyError(problem, field="schema")
    return plain, cls


@functools.lru_cache(maxsize=1024)
def _schema_problem(key: str) -> str | None:
    """``_schema_problem_of`` for a schema given as canonical JSON, memoized: checking a schema
    against its metaschema costs milliseconds, and a batch sends the same few schemas again and
    again."""
    return _schema_problem_of(json.loads(key))


def _schema_problem_of(schema: dict[str, Any]) -> str | None:
    """What is wrong with ``schema`` as a JSON Schema of the draft it names, or None."""
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return f"invalid JSON Schema at {where}: {exc.message}"
    return None


def _plain(value: Any) -> Any:
    """Plain dicts and lists all the way down (read-only mappings and tuples are converted)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def json_mode(schema: Mapping[str, Any] | None, task_kind: str) -> dict[str, Any]:
    """Provider parameters asking for JSON (the schema when there is one)."""
    if schema is not None:
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": dict(schema)},
            }
        }
    if task_kind == "json":
        return {"response_format": {"type": "json_object"}}
    return {}


def normalize_tests(tests: str | Sequence[str] | None) -> tuple[str, ...]:
    """Caller-given tests as a tuple of source snippets."""
    if tests is None:
        return ()
    if isinstance(tests, str):
        return (tests,) if tests.strip() else ()
    return tuple(tests)


def answer_key(text: str, parsed: Any = None) -> str:
    """A 16-hex-digit fingerprint of an answer: of its parsed value when a verifier read one (so
    "391" and "The answer is 391." agree), else of its whitespace-normalized text."""
    if parsed is not None:
        dump = getattr(parsed, "model_dump", None)
        value = dump(mode="json") if callable(dump) else parsed
        blob = json.dumps(value, sort_keys=True, default=str)
    else:
        blob = " ".join(text.split())
    return hashlib.blake2b(blob.encode("utf-8"), digest_size=8).hexdigest()
