"""Errors raised by the eventing layer, and how each one is disposed of.

Every library error (aio-pika, redis, cloudevents) is translated into one of these at the
adapter boundary, so callers only ever reason about the three dispositions below.
"""

from __future__ import annotations

import enum


class Disposition(enum.Enum):
    """What the broker does with a delivery whose handler raised."""

    RETRY = "retry"  # transient: try again after backoff, dead-letter when attempts run out
    DEAD_LETTER = "dead_letter"  # permanent: retrying cannot help, dead-letter now


class EventingError(Exception):
    """Base of every error raised by `eventing`."""

    disposition = Disposition.RETRY


class MalformedEventError(EventingError):
    """The bytes on the wire are not a valid CloudEvent; `reason` says why (HTTP 400)."""

    disposition = Disposition.DEAD_LETTER

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEventTypeError(MalformedEventError):
    """The event's type is not in the catalog, so nobody can have agreed on its data."""


class PermanentError(EventingError):
    """A handler says the event can never succeed (bad data, broken invariant)."""

    disposition = Disposition.DEAD_LETTER


class TransientError(EventingError):
    """A handler says the event may succeed later (dependency down, lock held)."""


class InProgressError(TransientError):
    """Another consumer holds the idempotency claim on this event right now."""


class ClaimLostError(InProgressError):
    """The handler's idempotency claim lapsed while it ran (another delivery may hold it now):
    the handler was stopped, and the event is retried without spending an attempt."""


class HandlerTimeoutError(TransientError):
    """The handler exceeded its per-attempt timeout."""


class NotFoundError(EventingError):
    """What was asked for does not exist *or is not the caller's* (a job's stream): the
    client must not learn which, so both are one 404, never a 403."""

    disposition = Disposition.DEAD_LETTER


class ConflictError(EventingError):
    """The request contradicts what is already there (a job registered to someone else)."""

    disposition = Disposition.DEAD_LETTER


class UnavailableError(EventingError):
    """A dependency of the eventing layer cannot answer right now: retry later (HTTP 503)."""


class BrokerUnavailableError(UnavailableError):
    """The broker cannot accept or confirm a publish right now (HTTP 503 at the ingress)."""


class BusUnavailableError(UnavailableError):
    """The event bus (Redis) did not answer: its adapter's translation of every redis-py
    connection, timeout and server error, so callers never catch a library's exception."""


def disposition_of(exc: BaseException) -> Disposition:
    """Default classification: our own errors know their disposition; anything else retries.

    Unknown exceptions retry because most real failures (timeouts, resets) are transient and a
    retry budget bounds the cost of being wrong.
    """
    if isinstance(exc, EventingError):
        return exc.disposition
    return Disposition.RETRY


def error_body(detail: str, code: str) -> dict[str, str]:
    """The one shape of an error answered to a client (http-api.md): `{"detail", "code"}`."""
    return {"detail": detail, "code": code}
