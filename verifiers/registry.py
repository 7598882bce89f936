"""Verifier kinds by name, so that a TOML policy can name a verifier and its parameters."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cascade.verifiers.base import Verifier

Factory = Callable[..., Verifier]
F = TypeVar("F", bound=Factory)

_KINDS: dict[str, Factory] = {}


def register(kind: str) -> Callable[[F], F]:
    """Register a verifier factory under ``kind`` (a decorator)."""

    def deco(factory: F) -> F:
        _KINDS[kind] = factory
        return factory

    return deco


def kinds() -> list[str]:
    """The registered verifier kinds, sorted."""
    return sorted(_KINDS)


def build(kind: str, params: Mapping[str, Any]) -> Verifier:
    """Build the verifier registered as ``kind``; errors name the valid kinds or parameters."""
    try:
        factory = _KINDS[kind]
    except KeyError:
        raise LookupError(
            f"unknown verifier kind {kind!r}; valid kinds: {', '.join(kinds())}"
        ) from None
    valid = [p for p in inspect.signature(factory).parameters if p not in ("self", "kwargs")]
    unknown = sorted(set(params) - set(valid))
    if unknown and "kwargs" not in inspect.signature(factory).parameters:
        raise TypeError(
            f"verifier {kind!r} has no parameter {', '.join(unknown)}; "
            f"valid parameters: {', '.join(valid) or '(none)'}"
        )
    return factory(**params)
