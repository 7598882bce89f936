"""Writing a policy back to TOML: the source policy with tuned thresholds and their provenance."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from cascade.policy import Policy


def policy_toml(policy: Policy, provenance: Mapping[str, Any]) -> str:
    """The policy as TOML text, with a ``[provenance]`` table saying how it was tuned."""
    data = policy.model_dump(mode="json", exclude_none=True)
    lines = [f"# Tuned by `cascade tune` from policy {policy.name!r}; see [provenance].", ""]
    tables: list[str] = []
    for key, value in data.items():
        if key in ("tiers", "verifiers", "prices", "provenance", "router"):
            continue
        lines.append(f"{key} = {_value(value)}")
    for tier in data["tiers"]:
        tables += ["", "[[tiers]]", *(f"{k} = {_value(v)}" for k, v in tier.items())]
    for spec in data["verifiers"]:
        params = spec.pop("params", {})
        tables += [
            "",
            "[[verifiers]]",
            *(f"{k} = {_value(v)}" for k, v in {**spec, **params}.items()),
        ]
    for model, price in data.get("prices", {}).items():
        tables += ["", f"[prices.{_key(model)}]", *(f"{k} = {_value(v)}" for k, v in price.items())]
    if "router" in data:
        tables += ["", "[router]", *(f"{k} = {_value(v)}" for k, v in data["router"].items())]
    tables += ["", "[provenance]", *(f"{_key(k)} = {_value(v)}" for k, v in provenance.items())]
    return "\n".join(lines + tables) + "\n"


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum()
    return key if bare else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML: {value!r}")
