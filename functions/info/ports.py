"""Ports of the info domain: what the feed and the ingest need, as protocols."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from functions.info.model import Article, Page, Position, RawArticle

Permit = Callable[[], Awaitable[bool]]  # may this source make one more request now?


class ArticleRepository(Protocol):
    """The stored feed. Articles are unique by id (their canonical URL's uuid5)."""

    async def add(self, articles: Sequence[Article]) -> int:
        """Store the articles not stored yet (by id); returns how many were new. Safe under
        concurrent and repeated calls: an article is stored once."""
        ...

    async def known(self, ids: Sequence[str]) -> set[str]:
        """Which of these ids are already stored."""
        ...

    async def page(self, category: str | None, limit: int, after: Position | None) -> Page:
        """Up to `limit` articles of `category` (None: all) strictly older than `after` in
        (published_at, id) order, newest first; `next_cursor` names the last one."""
        ...


class PageCache(Protocol):
    """A read cache of serialised pages, by key, each with its own time to live."""

    async def get(self, key: str) -> tuple[bytes, int] | None:
        """The cached value and its seconds left, or None."""
        ...

    async def put(self, key: str, value: bytes, ttl_s: int) -> None: ...


class Source(Protocol):
    """One news provider. `fetch` asks `permit` before every request it makes (the daily
    quota and the rate limit) and stops when refused; any failure is a SourceError."""

    name: str

    async def fetch(self, permit: Permit) -> list[RawArticle]: ...


class Quota(Protocol):
    """Per-source request budget: at most `daily` a day (UTC) and `per_minute` a minute."""

    async def take(self, source: str, daily: int, per_minute: int) -> bool:
        """Count one request of `source`; False (and nothing counted) when over budget."""
        ...


class ImageFinder(Protocol):
    """The `og:image` of an article page, fetched safely; None when there is none or the
    page cannot be had (refused, too slow, too large, not HTML)."""

    async def image_of(self, url: str) -> str | None: ...
