"""What a verifier sees (`Task`, `Candidate`), what it returns (`Verdict`), and its protocol.

`Combinable` (the operators ``&``, ``|``, ``~``) lives here so that `FunctionVerifier` has them
too; the groups it builds are in `cascade.verifiers.combine`, imported when an operator is used.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

if TYPE_CHECKING:
    from cascade.verifiers.combine import AllOf, AnyOf

Message = Mapping[str, Any]
Complete = Callable[..., Awaitable["Candidate"]]


@dataclass(frozen=True, slots=True)
class Task:
    """The request being answered, as verifiers may see it (never any ground truth).

    ``schema`` is the JSON Schema the answer must satisfy (``model_class`` the pydantic class it
    came from, if any); ``tests`` are caller-given tests for code; ``public`` holds other inputs a
    verifier may use (such as the choices of a multiple-choice question). ``complete`` asks a
    model: ``await task.complete(prompt_or_messages, model=None, max_tokens=..., temperature=...,
    name=...)`` returns a `Candidate`; the engine traces and costs the call like any other (model
    None means the ladder's cheapest).
    """

    prompt: str
    messages: tuple[Message, ...] = ()
    kind: str = "default"
    public: Mapping[str, Any] = field(default_factory=dict)
    schema: Mapping[str, Any] | None = None
    model_class: type | None = None
    tests: tuple[str, ...] = ()
    complete: Complete | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sampled answer of one tier."""

    text: str
    model: str
    sample: int = 0
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verifier's judgement of one tier's candidates.

    ``score`` is in [0, 1]; ``passed`` is the verifier's own reading (the engine decides with the
    tier's threshold); ``choice`` is the index of the candidate the verifier would answer with;
    ``value`` is that answer parsed (a validated JSON object, a model instance, a number), shown as
    `Result.parsed`. ``cost_usd`` is spending outside cascade's own calls (calls made through
    ``task.complete`` are traced and counted by the engine already).
    """

    passed: bool
    score: float
    reason: str = ""
    cost_usd: float = 0.0
    choice: int | None = None
    name: str = ""
    value: Any = None

    def __post_init__(self) -> None:
        if not (isinstance(self.score, (int, float)) and 0.0 <= self.score <= 1.0):
            raise ValueError(f"Verdict.score must be a number in [0, 1], got {self.score!r}")
        if not math.isfinite(self.cost_usd) or self.cost_usd < 0:
            raise ValueError(f"Verdict.cost_usd must be finite and >= 0, got {self.cost_usd!r}")

    @classmethod
    def of(cls, passed: bool, reason: str = "", **kw: Any) -> Verdict:
        """A verdict whose score is 1.0 when passed and 0.0 otherwise."""
        return cls(passed=passed, score=1.0 if passed else 0.0, reason=reason, **kw)


VerdictLike = Verdict | bool | float


@runtime_checkable
class Verifier(Protocol):
    """Judges one tier's candidates; may be sync or async."""

    name: str

    def __call__(
        self, candidates: Sequence[Candidate], task: Task
    ) -> Verdict | Awaitable[Verdict]: ...


class Combinable:
    """Gives a verifier the operators ``&``, ``|`` and ``~``.

    ``cooperative`` says that judging leaves the event loop free (the work is quick, or slow
    parts are awaited); the built-in verifiers are. The engine writes held trace events before it
    runs a verifier that is not, so that a kill during its work loses no earlier step.
    """

    name: str
    cooperative: bool = True

    def __and__(self, other: object) -> AllOf:
        """Both must pass; the score is the lesser."""
        from cascade.verifiers.combine import AllOf

        return AllOf(self, other) if callable(other) else NotImplemented

    def __rand__(self, other: object) -> AllOf:
        """``function & verifier``."""
        from cascade.verifiers.combine import AllOf

        return AllOf(other, self) if callable(other) else NotImplemented

    def __or__(self, other: object) -> AnyOf:
        """Either may pass; the score is the greater."""
        from cascade.verifiers.combine import AnyOf

        return AnyOf(self, other) if callable(other) else NotImplemented

    def __ror__(self, other: object) -> AnyOf:
        """``function | verifier``."""
        from cascade.verifiers.combine import AnyOf

        return AnyOf(other, self) if callable(other) else NotImplemented

    def __invert__(self) -> Combinable:
        """Passes when this fails; the score is ``1 - score``."""
        from cascade.verifiers.combine import Not

        return Not(self)


class FunctionVerifier(Combinable):
    """Wraps a plain function returning a `Verdict`, a bool or a score in [0, 1].

    Like the built-in verifiers it composes with ``&``, ``|`` and ``~``: ``as_verifier(f) & g``.
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, threshold: float = 0.5):
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", type(fn).__name__))
        self.threshold = threshold
        self.cooperative = inspect.iscoroutinefunction(fn)

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        out = self.fn(candidates, task)
        if inspect.isawaitable(out):
            out = await out
        return coerce_verdict(out, self.name, self.threshold)

    def __repr__(self) -> str:
        return f"FunctionVerifier({self.name})"


def coerce_verdict(out: object, name: str, threshold: float = 0.5) -> Verdict:
    """Turn a verifier's return value into a named `Verdict`."""
    if isinstance(out, Verdict):
        return out if out.name else _renamed(out, name)
    if isinstance(out, bool):
        return Verdict.of(out, name=name)
    if isinstance(out, (int, float)):
        score = float(out)
        return Verdict(passed=score >= threshold, score=score, name=name)
    raise TypeError(
        f"verifier {name!r} returned {type(out).__name__}; expected a Verdict, a bool or a float"
    )


def _renamed(v: Verdict, name: str) -> Verdict:
    return dataclasses.replace(v, name=name)


_V = TypeVar("_V", bound=Verifier)


@overload
def as_verifier(obj: _V) -> _V: ...


@overload
def as_verifier(obj: Callable[..., Any]) -> FunctionVerifier: ...


@overload
def as_verifier(obj: object) -> Verifier: ...


def as_verifier(obj: object) -> Verifier:
    """Return ``obj`` as a `Verifier`: verifiers pass through, plain callables are wrapped (in a
    `FunctionVerifier`, which has the operators ``&``, ``|`` and ``~``)."""
    if isinstance(obj, Verifier) and not inspect.isfunction(obj):
        return obj
    if callable(obj):
        return FunctionVerifier(obj)
    raise TypeError(f"not a verifier: {obj!r} (expected a callable taking (candidates, task))")


def is_cooperative(verifier: object) -> bool:
    """Whether running ``verifier`` leaves the event loop free (see `Combinable`); a verifier
    that does not say is taken to block."""
    return bool(getattr(verifier, "cooperative", False))


async def run_verifier(verifier: Verifier, candidates: Sequence[Candidate], task: Task) -> Verdict:
    """Call a verifier, sync or async, and return its named verdict."""
    out = verifier(candidates, task)
    if inspect.isawaitable(out):
        out = await out
    return coerce_verdict(out, verifier.name)
