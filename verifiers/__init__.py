"""Verifiers: judge a tier's candidate answers and return a `Verdict` with a score in [0, 1].

Registered kinds (name them in a policy's ``[[verifiers]]``): ``non_empty``, ``schema``,
``execute``, ``vote``, ``quantities``, ``judge``, and the combinators ``all``, ``any``, ``not``.
In code, the built-in verifiers compose with ``&``, ``|`` and ``~``.
"""

from cascade.verifiers.base import (
    Candidate,
    FunctionVerifier,
    Task,
    Verdict,
    Verifier,
    as_verifier,
    run_verifier,
)
from cascade.verifiers.combine import AllOf, AnyOf, Combinable, Not, all_, any_, not_
from cascade.verifiers.execute import Execute
from cascade.verifiers.judge import Judge
from cascade.verifiers.nonempty import NonEmpty, non_empty
from cascade.verifiers.quantities import Quantities
from cascade.verifiers.registry import build, kinds, register
from cascade.verifiers.schema import Schema
from cascade.verifiers.vote import Vote

__all__ = [
    "AllOf",
    "AnyOf",
    "Candidate",
    "Combinable",
    "Execute",
    "FunctionVerifier",
    "Judge",
    "NonEmpty",
    "Not",
    "Quantities",
    "Schema",
    "Task",
    "Verdict",
    "Verifier",
    "Vote",
    "all_",
    "any_",
    "as_verifier",
    "build",
    "kinds",
    "non_empty",
    "not_",
    "register",
    "run_verifier",
]
