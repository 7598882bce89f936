"""Verifiers: judge a tier's candidate answers and return a `Verdict` with a score in [0, 1]."""

from cascade.verifiers.base import (
    Candidate,
    FunctionVerifier,
    Task,
    Verdict,
    Verifier,
    as_verifier,
    judge,
)
from cascade.verifiers.nonempty import NonEmpty, non_empty
from cascade.verifiers.registry import build, kinds, register

__all__ = [
    "Candidate",
    "FunctionVerifier",
    "NonEmpty",
    "Task",
    "Verdict",
    "Verifier",
    "as_verifier",
    "build",
    "judge",
    "kinds",
    "non_empty",
    "register",
]
