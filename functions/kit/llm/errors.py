"""The LLM package's errors; adapters translate SDK and transport errors into these.

The kit's table (functions/kit/errors.py) maps them through their kit base classes:
`UnknownModel` is a 400 that is never retried; `LLMUnavailable` and `LLMOutputError` are
503s the broker retries (a provider outage or a malformed answer may pass on the next try).
"""

from __future__ import annotations

from functions.kit.errors import BadRequestError, Eco2Error, UnavailableError


class LLMError(Eco2Error):
    """Base of every LLM error."""

    code = "LLM_ERROR"


class UnknownModel(LLMError, BadRequestError):
    """The model is not allow-listed, or nothing configured here can serve it."""

    code = "UNKNOWN_MODEL"


class LLMUnavailable(LLMError, UnavailableError):
    """Transient: rate limited, 5xx, timeout, connection refused, or the circuit is open."""

    code = "LLM_UNAVAILABLE"


class CircuitOpen(LLMUnavailable):
    """The provider failed too often lately; it is not called until its circuit half-opens."""

    code = "LLM_CIRCUIT_OPEN"


class LLMOutputError(LLMError, UnavailableError):
    """The answer was not JSON of the requested schema (retryable: models are not
    deterministic, and the next try usually parses)."""

    code = "LLM_OUTPUT_INVALID"


class LLMRejected(LLMError, BadRequestError):
    """The provider refused the request itself (bad key, unknown model, invalid schema): not
    retried against the same provider, but another provider may still be tried. Once every
    provider refused, retrying the event cannot help: it dead-letters (and the job fails)."""

    code = "LLM_REJECTED"
    status = 502  # our request to a provider was refused, not the client's request


def is_transient_status(status: int) -> bool:
    """HTTP statuses worth another try: timeouts, conflicts, rate limits, server errors."""
    return status in (408, 409, 425, 429) or status >= 500
