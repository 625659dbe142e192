"""The news feed's pure model: articles, categories, pages and the keyset cursor.

An article's id is derived from its canonical URL (uuid5), so the same story ingested twice,
from two providers or with different tracking parameters, is one row. Pages are ordered by
(published_at, id) descending and the cursor names the last article served: the next page
starts strictly after it, so articles inserted meanwhile never shift what follows (no skip,
no repeat), which an offset would.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from functions.kit.errors import BadRequestError, Eco2Error

CategoryName = Literal["environment", "energy", "ai"]
CATEGORIES: tuple[CategoryName, ...] = ("environment", "energy", "ai")
ALL = "all"
# The INFO tab's labels, in the order it shows them (http-api.md, Info).
LABELS: dict[str, str] = {ALL: "전체", "environment": "환경", "energy": "에너지", "ai": "AI"}
_ID_NAMESPACE = uuid.UUID("6c1d8f0e-4b8a-5e3c-9a57-2f0e1d9c7b44")
MAX_LIMIT = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InfoError(Eco2Error):
    """Base of the info domain's errors."""


class InvalidCursorError(InfoError, BadRequestError):
    """A cursor this service did not hand out (or that was tampered with)."""

    code = "INVALID_CURSOR"


class SourceError(InfoError):
    """A news provider failed: an error status, a timeout, a body not in its format.
    The ingest logs it and goes on with the other sources."""


class UnsafeAddressError(InfoError):
    """A URL the OG fetcher refuses: not http(s), not port 80/443, or a host that resolves to
    a private, loopback, link-local or otherwise non-public address (SSRF)."""


def article_id(canonical_url: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, canonical_url))


@dataclass(frozen=True, slots=True)
class RawArticle:
    """What a source adapter hands over, before cleaning: text may hold HTML, the URL
    tracking parameters, and the category is not decided yet."""

    title: str
    url: str
    snippet: str
    source: str  # the provider: naver, newsdata, rss, sample
    source_name: str  # the outlet
    published_at: datetime
    thumbnail_url: str | None = None
    source_icon_url: str | None = None
    video_url: str | None = None
    keywords: tuple[str, ...] = ()
    ai_tag: str | None = None
    category_hint: CategoryName | None = None  # the provider's own category, if it maps


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    url: str  # canonical
    snippet: str
    source: str
    source_name: str
    published_at: datetime  # aware, UTC, microsecond precision (as PostgreSQL keeps it)
    category: CategoryName
    thumbnail_url: str | None = None
    source_icon_url: str | None = None
    video_url: str | None = None
    keywords: tuple[str, ...] = ()
    ai_tag: str | None = None

    @property
    def position(self) -> Position:
        return Position(self.published_at, self.id)


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where an article sits in the feed; the feed runs from the greatest down."""

    published_at: datetime
    id: str


@dataclass(frozen=True, slots=True)
class Page:
    articles: list[Article]
    next_cursor: str | None
    has_more: bool
    total: int  # articles stored in the category
    expires_in: int = 0  # seconds the cached copy of this page has left (0: not cached)


def utc(moment: datetime) -> datetime:
    """Aware UTC (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def encode_cursor(position: Position) -> str:
    """Opaque to clients: base64url of [microseconds since the epoch, id]."""
    micros = (utc(position.published_at) - EPOCH) // timedelta(microseconds=1)
    raw = json.dumps([micros, position.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The position a cursor names; InvalidCursorError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        micros, ident = json.loads(raw)
        if not isinstance(micros, int) or isinstance(micros, bool):
            raise ValueError("time")
        moment = EPOCH + timedelta(microseconds=micros)
        return Position(moment, str(uuid.UUID(ident)))
    except (ValueError, TypeError, binascii.Error, OverflowError, AttributeError):
        raise InvalidCursorError("cursor is not one this feed handed out") from None
