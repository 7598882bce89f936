"""cascade: answer each LLM request with the cheapest model whose answer passes verification.

>>> import cascade
>>> r = cascade.run("Write a function that reverses a string", policy="code")  # doctest: +SKIP
>>> r.text, r.model, r.accepted, r.cost_usd                                    # doctest: +SKIP
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from cascade.api import arun, arun_many, configure, feedback, run, run_many, tune
from cascade.engine import Cascade
from cascade.errors import (
    BadRequest,
    BudgetExceeded,
    CascadeError,
    CascadeExhausted,
    MissingApiKey,
    PolicyError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from cascade.ladders import ladders
from cascade.policy import (
    Policy,
    Price,
    Tier,
    VerifierSpec,
    load_policy,
    policy_from_toml,
    preset_names,
)
from cascade.providers import (
    CallRequest,
    Completion,
    FunctionProvider,
    LiteLLMProvider,
    Provider,
)
from cascade.result import Result
from cascade.sinks import JsonlSink, read_events
from cascade.trace import Event
from cascade.verifiers import Candidate, Task, Verdict, Verifier

__version__ = "0.1.0"

__all__ = [
    "BadRequest",
    "BudgetExceeded",
    "CallRequest",
    "Candidate",
    "Cascade",
    "CascadeError",
    "CascadeExhausted",
    "Completion",
    "Event",
    "FunctionProvider",
    "JsonlSink",
    "LiteLLMProvider",
    "MissingApiKey",
    "Policy",
    "PolicyError",
    "Price",
    "Provider",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "Result",
    "Task",
    "Tier",
    "Verdict",
    "Verifier",
    "VerifierSpec",
    "arun",
    "arun_many",
    "configure",
    "feedback",
    "ladders",
    "load_policy",
    "policy_from_toml",
    "preset_names",
    "read_events",
    "run",
    "run_many",
    "tune",
]
