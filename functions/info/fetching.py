"""What the provider adapters share: one HTTP GET with the library's errors translated.

Every failure a provider can cause (an error status, a timeout, a refused connection, a body
that is not JSON) becomes a `SourceError` naming the source, so the ingest can log it and
carry on with the others; nothing of httpx leaks past the adapters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from functions.info.model import SourceError
from functions.info.ports import Permit

MAX_BODY_BYTES = 5 * 1024 * 1024  # a feed or an API page; anything larger is not one


class QuotaSpent(SourceError):
    """The source's daily quota or rate limit refused the next request (not a failure: the
    articles fetched so far still land)."""


async def get(
    client: httpx.AsyncClient,
    source: str,
    url: str,
    permit: Permit,
    *,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The (decoded) body of one permitted GET with a 2xx answer, or SourceError (QuotaSpent
    when not permitted)."""
    if not await permit():
        raise QuotaSpent(f"{source}: request budget spent (daily quota or rate limit)")
    try:
        async with client.stream("GET", url, params=params, headers=headers) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise SourceError(f"{source}: answer larger than {MAX_BODY_BYTES} bytes")
    except httpx.TimeoutException as exc:
        raise SourceError(f"{source}: timed out ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"{source}: {type(exc).__name__}: {exc}") from exc
    if not response.is_success:
        excerpt = bytes(body[:200]).decode("utf-8", "replace")
        raise SourceError(f"{source}: HTTP {response.status_code}: {excerpt}")
    return bytes(body)


def json_body(source: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{source}: the answer is not JSON") from exc


def rfc822_time(value: Any) -> datetime | None:
    """`Mon, 26 Sep 2016 07:50:00 +0900` (Naver, RSS) as an aware time, or None."""
    if not isinstance(value, str):
        return None
    try:
        found = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""
