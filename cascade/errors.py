"""The error tree of cascade.

::

    CascadeError
    ├── PolicyError            a policy is invalid; names the file, the field, the valid choices
    ├── ProviderError          a model call failed after retries; carries the trace so far
    │   ├── ProviderTimeout    the provider did not answer in time (retried)
    │   ├── RateLimited        the provider refused for rate or quota (retried)
    │   ├── ProviderUnavailable  5xx or connection failure (retried)
    │   ├── MissingApiKey      no credentials for the model's provider (not retried)
    │   └── BadRequest         the provider rejected the request itself (not retried)
    ├── BudgetExceeded         the next call would pass max_cost_usd and the policy says raise
    └── CascadeExhausted       every tier ran, none was accepted, and the policy says raise

Every error raised by the engine while answering a request carries ``trace``: the events of that
request up to the failure, so nothing is lost when a call fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cascade.trace import Event


class CascadeError(Exception):
    """Base class of every error cascade raises."""

    trace: tuple[Event, ...] = ()

    def with_trace(self, trace: Sequence[Event]) -> CascadeError:
        """Attach a request's events to this error and return it."""
        self.trace = tuple(trace)
        return self


class PolicyError(CascadeError, ValueError):
    """A policy is invalid: the message names the source, the field and the valid choices."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        prefix = ": ".join(p for p in (source, field) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.message = message
        self.source = source
        self.field = field


class ProviderError(CascadeError):
    """A model call failed; ``retryable`` says whether trying again may help."""

    retryable = False

    def __init__(self, message: str, *, model: str | None = None, status: int | None = None):
        super().__init__(message)
        self.model = model
        self.status = status


class ProviderTimeout(ProviderError):
    """The provider did not answer within the call's timeout."""

    retryable = True


class RateLimited(ProviderError):
    """The provider refused the call for rate or quota reasons."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """The provider failed on its side (5xx) or could not be reached."""

    retryable = True


class MissingApiKey(ProviderError):
    """The model's provider needs credentials that are not set."""


class BadRequest(ProviderError):
    """The provider rejected the request (unknown model, bad parameter, context too long)."""


class BudgetExceeded(CascadeError):
    """The next call would pass the request's budget and the policy says to raise."""

    def __init__(self, message: str, *, spent_usd: float, budget_usd: float, best: Any = None):
        super().__init__(message)
        self.spent_usd = spent_usd
        self.budget_usd = budget_usd
        self.best = best


class CascadeExhausted(CascadeError):
    """No tier's answer was accepted and the policy says to raise; ``best`` is the best answer."""

    def __init__(self, message: str, *, best: Any = None):
        super().__init__(message)
        self.best = best
