"""A PostgreSQL that is down or restarting, as the kit's `UnavailableError`: a 503 the client
may retry, or a retried delivery, never a 500 or a dead letter. One place for what counts as
an outage, so every PostgreSQL adapter translates the same driver errors the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import asyncpg  # type: ignore[import-untyped]  # no stubs shipped

from functions.kit.errors import UnavailableError

OUTAGE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


@contextlib.contextmanager
def retry_on_outage() -> Iterator[None]:
    try:
        yield
    except OUTAGE as exc:
        raise UnavailableError(f"PostgreSQL unavailable: {exc!r}") from exc
