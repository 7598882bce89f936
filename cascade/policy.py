"""Policies: which models answer, in which order, and when an answer is accepted.

A policy is data: a TOML file (the presets live in ``cascade.policies``) or a `Policy` built in
code. `load_policy` accepts a preset name, a path or a `Policy`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from cascade.errors import PolicyError
from cascade.verifiers import Verifier, as_verifier, build, kinds

TaskKind = Literal["default", "code", "json", "math", "choice", "qa"]
_FROZEN = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Tier(BaseModel):
    """One rung of the ladder: a litellm model string and how its answers are accepted.

    ``skip = true`` leaves the tier out of the cascade (the tuner sets it on a tier that would
    never be worth calling), while keeping the ladder's positions for ``models=`` overrides.
    """

    model_config = _FROZEN

    model: str = Field(min_length=1)
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    samples: int = Field(1, ge=1, le=64)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int = Field(1024, ge=1)
    timeout_s: float = Field(60.0, gt=0.0)
    skip: bool = False


class Price(BaseModel):
    """A declared per-token price, for models that litellm's cost map lacks."""

    model_config = _FROZEN

    input_cost_per_token: float = Field(ge=0.0)
    output_cost_per_token: float = Field(ge=0.0)


class VerifierSpec(BaseModel):
    """A verifier by registered kind and parameters, or a verifier object built in code."""

    model_config = _FROZEN

    kind: str
    weight: float = Field(1.0, ge=0.0)
    params: dict[str, Any] = Field(default_factory=dict)
    instance: Any = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _gather_params(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = {"kind", "weight", "params", "instance"}
            extra = {k: v for k, v in data.items() if k not in known}
            if extra:
                data = {k: v for k, v in data.items() if k in known}
                data["params"] = {**data.get("params", {}), **extra}
        elif callable(data) and not isinstance(data, VerifierSpec):
            v = as_verifier(data)
            data = {"kind": v.name, "instance": v}
        return data

    def build(self) -> Verifier:
        """The verifier this spec describes."""
        if self.instance is not None:
            instance: object = self.instance
            return as_verifier(instance)
        return build(self.kind, self.params)


class RouterRef(BaseModel):
    """A learned pre-router (written by `cascade tune`): requests it gives a probability of at
    least ``tau`` that the cheapest tier fails start at tier ``start_tier``. ``path`` is its JSON
    file (format ``cascade-router/1``): in a policy file, relative to that file; in a policy
    built in code or from TOML text, as given (relative to the working directory)."""

    model_config = _FROZEN

    path: str = Field(min_length=1)
    tau: float = Field(ge=0.0, le=1.0)
    start_tier: int = Field(1, ge=1)


class Policy(BaseModel):
    """A ladder of tiers (cheapest first), the verifiers, and the acceptance rule.

    ``skip_dominated`` leaves out, per request, a tier whose samples cost at least as much as the
    calls of every running tier above it (`cascade.loop.dominated_tiers`): it cannot save money.
    """

    model_config = _FROZEN

    name: str = "custom"
    description: str = ""
    task_kind: TaskKind = "default"
    tiers: tuple[Tier, ...] = Field(min_length=1)
    verifiers: tuple[VerifierSpec, ...] = (VerifierSpec(kind="non_empty"),)
    rule: Literal["min", "mean"] = "min"
    on_exhausted: Literal["best", "last", "raise"] = "best"
    max_cost_usd: float | None = Field(None, gt=0.0)
    on_budget: Literal["best", "raise"] = "best"
    retries: int = Field(2, ge=0, le=10)
    skip_dominated: bool = True
    system: str | None = None
    prices: dict[str, Price] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)
    router: RouterRef | None = None
    _built: tuple[tuple[VerifierSpec, ...], tuple[Verifier, ...]] | None = PrivateAttr(None)

    def model_post_init(self, context: Any) -> None:
        """Build the verifiers now, so that a bad kind or parameter fails at load time."""
        if all(t.skip for t in self.tiers):
            raise PolicyError("every tier is skipped; at least one must run", field="tiers")
        if self.router is not None and self.router.start_tier >= len(self.tiers):
            raise PolicyError(
                f"router.start_tier is {self.router.start_tier}; valid: 1 to {len(self.tiers) - 1}",
                field="router.start_tier",
            )
        _ = self.built_verifiers

    @property
    def built_verifiers(self) -> tuple[Verifier, ...]:
        """The verifier objects, in the order of ``verifiers`` (rebuilt if they were replaced)."""
        if self._built is None or self._built[0] is not self.verifiers:
            built = []
            for i, spec in enumerate(self.verifiers):
                try:
                    built.append(spec.build())
                except (LookupError, TypeError, ValueError) as exc:
                    raise PolicyError(str(exc), field=f"verifiers[{i}]") from exc
            self._built = (self.verifiers, tuple(built))
        return self._built[1]

    def with_models(self, models: Sequence[str]) -> Policy:
        """This policy on another ladder; each model takes the settings of the tier at its rank.

        With n models over m tiers, model i gets tier ``round(i * (m-1) / (n-1))``'s settings, so
        the cheapest keeps the first tier's and the last keeps the top tier's; one model alone
        takes the top tier's settings (forcing that model).
        """
        models = list(models)
        if not models:
            raise PolicyError("models must name at least one litellm model string", field="models")
        m, n = len(self.tiers), len(models)
        ranks = tier_ranks(m, n)
        pairs = zip(ranks, models, strict=True)
        tiers = tuple(self.tiers[r].model_copy(update={"model": s}) for r, s in pairs)
        # a pre-router learned what the policy's own models fail at: not another ladder's
        return self.model_copy(update={"tiers": tiers, "router": None})


def tier_ranks(tiers: int, models: int) -> list[int]:
    """Which of ``tiers`` tiers' settings each of ``models`` models takes, cheapest first."""
    if models == 1:
        return [tiers - 1]
    return [round(i * (tiers - 1) / (models - 1)) for i in range(models)]


PolicyRef = str | Path | Policy


def preset_names() -> list[str]:
    """Names of the policy presets shipped in ``cascade.policies``."""
    root = resources.files("cascade.policies")
    names = (p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))
    return sorted(n for n in names if n != "ladders")


def load_policy(ref: PolicyRef) -> Policy:
    """Return the policy named by a preset name, a TOML path, or a `Policy` (returned as is)."""
    if isinstance(ref, Policy):
        return ref
    if isinstance(ref, Path) or ref.endswith(".toml") or "/" in ref or "\\" in ref:
        path = Path(ref).expanduser().resolve()
        if not path.is_file():
            raise PolicyError(f"no policy file at {path}", source=str(ref))
        return _load_file(str(path), path.stat().st_mtime_ns)
    if ref not in preset_names():
        raise PolicyError(
            f"unknown policy preset {ref!r}; valid presets: {', '.join(preset_names())} "
            "(or pass a path to a .toml file, or a Policy)",
            field="policy",
        )
    return _load_preset(ref)


@functools.lru_cache(maxsize=64)
def _load_preset(name: str) -> Policy:
    text = resources.files("cascade.policies").joinpath(f"{name}.toml").read_text("utf-8")
    return policy_from_toml(text, source=f"preset {name!r}")


@functools.lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int) -> Policy:
    policy = policy_from_toml(Path(path).read_text("utf-8"), source=path)
    if policy.router is not None:  # the router's file is named relative to the policy's
        where = (Path(path).parent / policy.router.path).resolve()
        if not where.is_file():
            raise PolicyError(f"no router file at {where}", source=path, field="router.path")
        ref = policy.router.model_copy(update={"path": str(where)})
        policy = policy.model_copy(update={"router": ref})
    return policy


def policy_from_toml(text: str, *, source: str = "<string>") -> Policy:
    """Parse and validate a policy from TOML text; errors name the source and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML ({exc})", source=source) from exc
    return policy_from_dict(data, source=source)


def policy_from_dict(data: dict[str, Any], *, source: str = "<dict>") -> Policy:
    """Validate a policy from plain data; errors name the source and the field."""
    try:
        return Policy.model_validate(data)
    except PolicyError as exc:
        raise PolicyError(exc.message, source=source, field=exc.field) from exc
    except ValidationError as exc:
        raise _policy_error(exc, source) from None


def _policy_error(exc: ValidationError, source: str) -> PolicyError:
    err = exc.errors()[0]
    inner = err.get("ctx", {}).get("error")
    if isinstance(inner, PolicyError):
        return PolicyError(inner.message, source=source, field=inner.field)
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = f"unknown field; valid fields here: {', '.join(_fields_at(err['loc']))}"
    elif loc.endswith("kind") and "verifiers" in loc:
        msg = f"{msg}; valid kinds: {', '.join(kinds())}"
    more = f" (and {len(exc.errors()) - 1} more errors)" if len(exc.errors()) > 1 else ""
    return PolicyError(msg + more, source=source, field=loc or None)


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = Policy
    for part in loc[:-1]:
        if part == "tiers":
            model = Tier
        elif part == "verifiers":
            model = VerifierSpec
        elif part == "prices":
            model = Price
        elif part == "router":
            model = RouterRef
    return [f for f in model.model_fields if f != "instance"]


def check_policy(policy: Policy, *, known_price: Callable[[str], bool]) -> list[str]:
    """Warnings about a policy: models with no known price (their calls would count as $0)."""
    return [
        f"no price known for {t.model!r}: its calls count as $0; declare it under [prices]"
        for t in policy.tiers
        if t.model not in policy.prices and not known_price(t.model)
    ]
