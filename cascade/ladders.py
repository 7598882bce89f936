"""Named ladders (``policies/ladders.toml``): run any policy on another set of models."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

from cascade.errors import PolicyError


@functools.cache
def ladders() -> dict[str, list[str]]:
    """Every named ladder: name -> litellm model strings, cheapest first."""
    text = resources.files("cascade.policies").joinpath("ladders.toml").read_text("utf-8")
    return {name: list(entry["models"]) for name, entry in tomllib.loads(text).items()}


def ladder_models(name: str) -> list[str]:
    """The models of the ladder called ``name``; an unknown name lists the valid ones."""
    try:
        return ladders()[name]
    except KeyError:
        valid = ", ".join(sorted(ladders()))
        raise PolicyError(
            f"unknown ladder {name!r}; valid ladders: {valid}", field="ladder"
        ) from None
