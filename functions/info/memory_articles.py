"""The feed in process memory (the embedded default), plus an in-memory page cache.

Articles are kept sorted by position (bisect), so a page is a slice: the same keyset rule as
the PostgreSQL adapter, and the contract suite holds both to it.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence

from functions.info.model import Article, Page, Position, encode_cursor


class MemoryArticleRepository:
    """Check-and-insert has no await in between, so it is atomic on the event loop."""

    def __init__(self) -> None:
        self._by_id: dict[str, Article] = {}
        self._all: list[Position] = []  # ascending; the feed reads it from the end
        self._by_category: dict[str, list[Position]] = {}

    async def add(self, articles: Sequence[Article]) -> int:
        new = 0
        for article in articles:
            if article.id in self._by_id:
                continue
            self._by_id[article.id] = article
            bisect.insort(self._all, article.position)
            bisect.insort(self._by_category.setdefault(article.category, []), article.position)
            new += 1
        return new

    async def known(self, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if i in self._by_id}

    async def page(self, category: str | None, limit: int, after: Position | None) -> Page:
        positions = self._all if category is None else self._by_category.get(category, [])
        end = len(positions) if after is None else bisect.bisect_left(positions, after)
        start = max(0, end - limit)
        chosen = [self._by_id[p.id] for p in reversed(positions[start:end])]
        has_more = start > 0
        cursor = encode_cursor(chosen[-1].position) if has_more and chosen else None
        return Page(chosen, cursor, has_more, len(positions))


class MemoryPageCache:
    """Entries with a deadline on a monotonic clock; expired ones are dropped when read."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000
    ) -> None:
        self._clock = clock
        self._max = max_entries
        self._entries: dict[str, tuple[bytes, float]] = {}

    async def get(self, key: str) -> tuple[bytes, int] | None:
        found = self._entries.get(key)
        if found is None:
            return None
        value, deadline = found
        left = deadline - self._clock()
        if left <= 0:
            del self._entries[key]
            return None
        return value, max(1, round(left))

    async def put(self, key: str, value: bytes, ttl_s: int) -> None:
        if len(self._entries) >= self._max:  # bounded: the oldest insertion goes first
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (value, self._clock() + ttl_s)
