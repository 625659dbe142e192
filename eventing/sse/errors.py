"""The gateway's errors, answered by the kit's one error table (`{"detail", "code"}`)."""

from __future__ import annotations

from functions.kit.errors import Eco2Error, NotFoundError, UnavailableError


class GatewayError(Eco2Error):
    """Base of every SSE gateway error."""


class StreamNotFound(GatewayError, NotFoundError):
    """Unknown job *or not the caller's*: 404 either way, never 403 (403 logs the PWA out)."""


class GatewayDraining(GatewayError, UnavailableError):
    """This replica is shutting down: 503, the client retries against another one."""


class StreamUnavailable(GatewayError, UnavailableError):
    """The bus did not answer the subscription's first read: 503, retry later (not a 500)."""
