"""The read-through page cache: one store read per key however many readers miss at once,
hits say their time left, and a cache that is down is bypassed rather than failing reads."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from functions.info.cached_articles import CachedArticleRepository
from functions.info.memory_articles import MemoryArticleRepository, MemoryPageCache
from functions.info.model import Article, Page, Position
from functions.info.rules import clean
from functions.info.source_sample import sample_articles
from functions.kit.errors import UnavailableError


class CountingStore(MemoryArticleRepository):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.gate = asyncio.Event()

    async def page(self, category: str | None, limit: int, after: Position | None) -> Page:
        self.reads += 1
        await self.gate.wait()  # every concurrent reader has missed by now
        return await super().page(category, limit, after)


class DownCache:
    async def get(self, key: str) -> tuple[bytes, int] | None:
        raise UnavailableError("Redis unavailable: connection refused")

    async def put(self, key: str, value: bytes, ttl_s: int) -> None:
        raise UnavailableError("Redis unavailable: connection refused")


def sample() -> Sequence[Article]:
    return [clean(raw) for raw in sample_articles()]


async def test_concurrent_misses_share_one_store_read_and_later_reads_hit() -> None:
    store = CountingStore()
    await store.add(sample())
    repo = CachedArticleRepository(store, MemoryPageCache(), ttl_s=60)
    readers = [asyncio.create_task(repo.page("energy", 5, None)) for _ in range(50)]
    await asyncio.sleep(0)  # one turn of the loop: every reader has missed and is waiting
    store.gate.set()
    pages = await asyncio.gather(*readers)
    assert store.reads == 1
    assert all(p.articles == pages[0].articles and p.expires_in == 60 for p in pages)
    again = await repo.page("energy", 5, None)
    assert store.reads == 1 and again.articles == pages[0].articles and again.expires_in <= 60


async def test_a_cache_that_is_down_is_bypassed() -> None:
    store = MemoryArticleRepository()
    await store.add(sample())
    repo = CachedArticleRepository(store, DownCache(), ttl_s=60)
    page = await repo.page(None, 5, None)
    assert len(page.articles) == 5 and page.expires_in == 0 and page.total == 12
