"""The one table that maps errors to HTTP status, error code and broker disposition.

Domain packages raise subclasses of `Eco2Error`; adapters translate library errors into them
(or into `eventing` errors) at their boundary. Everything that answers HTTP or acks a message
asks this module what an exception means.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventing import errors as eventing
from eventing.errors import (
    BrokerUnavailableError,
    BusUnavailableError,
    Disposition,
    EventingError,
    MalformedEventError,
    PermanentError,
    TransientError,
    UnknownEventTypeError,
)
from eventing.errors import error_body as error_body  # noqa: PLC0414 - re-exported


class Eco2Error(Exception):
    """Base of every domain error; subclasses pick their row in the table below, and may
    name a more precise `code` (UPPER_SNAKE) or HTTP `status` than their row's."""

    code: str | None = None
    status: int | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequestError(Eco2Error):
    pass


class NotFoundError(Eco2Error):
    """Unknown *or not yours*: the client must not learn which (never 403)."""


class UnauthenticatedError(Eco2Error):
    """No identity from the edge: 401, so the client refreshes its session."""


class ConflictError(Eco2Error):
    pass


class UnavailableError(Eco2Error):
    pass


class BusyError(Eco2Error):
    """Another delivery of the same event holds it right now: try again shortly (429), this
    attempt did not count."""


@dataclass(frozen=True, slots=True)
class Row:
    status: int
    code: str
    disposition: Disposition


# Most specific first: the first isinstance match wins.
TABLE: tuple[tuple[type[BaseException], Row], ...] = (
    (UnknownEventTypeError, Row(400, "UNKNOWN_EVENT_TYPE", Disposition.DEAD_LETTER)),
    (MalformedEventError, Row(400, "MALFORMED_EVENT", Disposition.DEAD_LETTER)),
    (BrokerUnavailableError, Row(503, "BROKER_UNAVAILABLE", Disposition.RETRY)),
    (BusUnavailableError, Row(503, "EVENT_BUS_UNAVAILABLE", Disposition.RETRY)),
    (eventing.NotFoundError, Row(404, "NOT_FOUND", Disposition.DEAD_LETTER)),
    (eventing.ConflictError, Row(409, "CONFLICT", Disposition.DEAD_LETTER)),
    (eventing.UnavailableError, Row(503, "UNAVAILABLE", Disposition.RETRY)),
    (PermanentError, Row(422, "UNPROCESSABLE_EVENT", Disposition.DEAD_LETTER)),
    (TransientError, Row(503, "TEMPORARILY_UNAVAILABLE", Disposition.RETRY)),
    (EventingError, Row(500, "EVENTING_ERROR", Disposition.RETRY)),
    (BadRequestError, Row(400, "BAD_REQUEST", Disposition.DEAD_LETTER)),
    (UnauthenticatedError, Row(401, "UNAUTHENTICATED", Disposition.DEAD_LETTER)),
    (NotFoundError, Row(404, "NOT_FOUND", Disposition.DEAD_LETTER)),
    (ConflictError, Row(409, "CONFLICT", Disposition.DEAD_LETTER)),
    (UnavailableError, Row(503, "UNAVAILABLE", Disposition.RETRY)),
    (BusyError, Row(429, "BUSY", Disposition.RETRY)),
    (TimeoutError, Row(504, "TIMEOUT", Disposition.RETRY)),
)
DEFAULT = Row(500, "INTERNAL_ERROR", Disposition.RETRY)


def row_for(exc: BaseException) -> Row:
    for kind, row in TABLE:
        if isinstance(exc, kind):
            return row
    return DEFAULT


def classify(exc: BaseException) -> Disposition:
    """The broker's retry-or-dead-letter decision for a handler failure."""
    return row_for(exc).disposition


def http_status_and_code(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and error code to answer: the error's own, else its row's."""
    row = row_for(exc)
    if isinstance(exc, Eco2Error):
        return exc.status or row.status, exc.code or row.code
    return row.status, row.code
