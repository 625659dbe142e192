"""The feed read through a page cache (Redis when deployed): PostgreSQL stays the store.

Each (category, limit, cursor) page is cached whole for `ttl_s`; a cursor names a fixed point
of the keyset, so a cached page is still a correct continuation of the pages before it (an
article that arrives meanwhile shows up on the first page once its copy expires: new articles
are at most `ttl_s` late). Concurrent misses of one key in a process share one store read (no
stampede on expiry), and a cache that is down is bypassed: reads go to the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from functions.info.codec import dump_page, load_page
from functions.info.model import Article, Page, Position, encode_cursor
from functions.info.ports import ArticleRepository, PageCache
from functions.kit.errors import UnavailableError

log = logging.getLogger(__name__)


class CachedArticleRepository:
    def __init__(self, store: ArticleRepository, cache: PageCache, ttl_s: int) -> None:
        self._store = store
        self._cache = cache
        self._ttl_s = ttl_s
        self._inflight: dict[str, asyncio.Future[Page]] = {}

    async def add(self, articles: Sequence[Article]) -> int:
        return await self._store.add(articles)

    async def known(self, ids: Sequence[str]) -> set[str]:
        return await self._store.known(ids)

    async def page(self, category: str | None, limit: int, after: Position | None) -> Page:
        key = f"{category or 'all'}:{limit}:{encode_cursor(after) if after else '-'}"
        try:
            hit = await self._cache.get(key)
        except UnavailableError as exc:
            log.warning("info page cache unavailable, reading the store: %s", exc)
            return await self._store.page(category, limit, after)
        if hit is not None:
            return load_page(*hit)
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Page] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            page = await self._fill(key, category, limit, after)
            future.set_result(page)
            return page
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        except BaseException:  # cancelled: the waiters are too, and the next read retries
            future.cancel()
            raise
        finally:
            del self._inflight[key]

    async def _fill(
        self, key: str, category: str | None, limit: int, after: Position | None
    ) -> Page:
        page = await self._store.page(category, limit, after)
        try:
            await self._cache.put(key, dump_page(page), self._ttl_s)
        except UnavailableError as exc:
            log.warning("info page not cached: %s", exc)
            return page
        return Page(page.articles, page.next_cursor, page.has_more, page.total, self._ttl_s)
