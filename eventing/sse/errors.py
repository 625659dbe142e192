"""The gateway's errors: eventing errors, so the gateway needs nothing above `eventing`.

The host answers them through the kit's one error table (`{"detail", "code"}`): a not-found is
404 `NOT_FOUND`, an unavailable one 503 `UNAVAILABLE`.
"""

from __future__ import annotations

from eventing.errors import EventingError, NotFoundError, UnavailableError


class GatewayError(EventingError):
    """Base of every SSE gateway error."""


class StreamNotFound(GatewayError, NotFoundError):
    """Unknown job *or not the caller's*: 404 either way, never 403 (403 logs the PWA out)."""


class GatewayDraining(GatewayError, UnavailableError):
    """This replica is shutting down: 503, the client retries against another one."""


class StreamUnavailable(GatewayError, UnavailableError):
    """The bus did not answer the subscription's first read: 503, retry later (not a 500)."""
