"""The news feed store's contract, on memory, on PostgreSQL, and on PostgreSQL read through
the Redis page cache: de-duplication, order, categories, and a keyset that neither skips nor
repeats while articles are inserted between pages."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import redis.asyncio as aioredis

from functions.info.cached_articles import CachedArticleRepository
from functions.info.memory_articles import MemoryArticleRepository
from functions.info.model import Article, CategoryName, Position, decode_cursor
from functions.info.ports import ArticleRepository
from functions.info.postgres_articles import PostgresArticleRepository
from functions.info.redis_cache import RedisPageCache
from functions.kit.migrations import migrate
from tests.rig import RedisNamespace

MIGRATIONS = [Path("functions/info/migrations")]
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def article(
    n: int,
    at: datetime | None = None,
    category: CategoryName = "environment",
    keywords: tuple[str, ...] = ("재활용",),
) -> Article:
    url = f"https://news.example/{n}"
    return Article(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, url)),
        title=f"기사 {n}",
        url=url,
        snippet="요약",
        source="rss",
        source_name="환경일보",
        published_at=at or T0 + timedelta(minutes=n),
        category=category,
        keywords=keywords,
        thumbnail_url=None if n % 2 else f"https://img.example/{n}.jpg",
    )


@pytest.fixture
async def memory_repo() -> MemoryArticleRepository:
    return MemoryArticleRepository()


@pytest.fixture
async def postgres_repo(pg_dsn: str) -> AsyncIterator[PostgresArticleRepository]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=10)
    try:
        await migrate(pool, MIGRATIONS)
        yield PostgresArticleRepository(pool)
    finally:
        await pool.close()


@pytest.fixture
async def cached_repo(
    postgres_repo: PostgresArticleRepository, redis_url_and_prefix: RedisNamespace
) -> AsyncIterator[CachedArticleRepository]:
    url, prefix = redis_url_and_prefix
    client = aioredis.Redis.from_url(url)
    try:
        yield CachedArticleRepository(postgres_repo, RedisPageCache(client, prefix), ttl_s=30)
    finally:
        await client.aclose()


@pytest.fixture(
    params=[
        "memory",
        pytest.param("postgres", marks=pytest.mark.integration),
        pytest.param("cached", marks=pytest.mark.integration),
    ]
)
def repo(request: pytest.FixtureRequest) -> ArticleRepository:
    found: ArticleRepository = request.getfixturevalue(f"{request.param}_repo")
    return found


async def test_articles_are_stored_once_however_often_and_concurrently_added(
    repo: ArticleRepository,
) -> None:
    batch = [article(n) for n in range(5)]
    assert await repo.add(batch) == 5
    assert await repo.add(batch) == 0
    results = await asyncio.gather(*(repo.add([article(5), *batch]) for _ in range(10)))
    assert sum(results) == 1
    assert await repo.known([batch[0].id, article(99).id]) == {batch[0].id}
    page = await repo.page(None, 50, None)
    assert page.total == 6 and len(page.articles) == 6


async def test_pages_are_newest_first_per_category_and_keep_every_field(
    repo: ArticleRepository,
) -> None:
    mix: list[CategoryName] = ["environment", "energy", "ai"]
    await repo.add([article(n, category=mix[n % 3], keywords=("a", 'b"c')) for n in range(9)])
    everything = await repo.page(None, 4, None)
    assert [a.title for a in everything.articles] == ["기사 8", "기사 7", "기사 6", "기사 5"]
    assert everything.has_more and everything.next_cursor and everything.total == 9
    energy = await repo.page("energy", 10, None)
    assert [a.title for a in energy.articles] == ["기사 7", "기사 4", "기사 1"]
    assert (energy.total, energy.has_more, energy.next_cursor) == (3, False, None)
    assert energy.articles[0] == article(7, category="energy", keywords=("a", 'b"c'))
    assert (await repo.page("ai", 10, None)).total == 3


async def test_ties_in_time_are_ordered_by_id_and_the_cursor_resumes_exactly(
    repo: ArticleRepository,
) -> None:
    same = T0 + timedelta(hours=1)
    batch = [article(n, at=same) for n in range(7)]
    await repo.add(batch)
    seen: list[str] = []
    cursor = None
    while True:
        page = await repo.page(None, 3, decode_cursor(cursor) if cursor else None)
        seen += [a.id for a in page.articles]
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == sorted((a.id for a in batch), reverse=True)
    last = Position(same, min(a.id for a in batch))
    after_all = await repo.page(None, 3, last)
    assert (after_all.articles, after_all.has_more, after_all.next_cursor) == ([], False, None)


async def test_paging_neither_skips_nor_repeats_while_articles_arrive(
    repo: ArticleRepository,
) -> None:
    rng = random.Random(11)
    before = [article(n, at=T0 + timedelta(seconds=rng.randrange(600))) for n in range(60)]
    await repo.add(before)
    seen: list[str] = []
    cursor, n = None, 1000
    while True:
        page = await repo.page(None, 7, decode_cursor(cursor) if cursor else None)
        seen += [a.id for a in page.articles]
        # Between pages: newer articles, same-time ones and older ones arrive.
        arrivals = [
            article(n, at=T0 + timedelta(seconds=rng.randrange(-60, 900))) for n in range(n, n + 5)
        ]
        n += 5
        await repo.add(arrivals)
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)), "an article was served twice"
    assert {a.id for a in before} <= set(seen), "an article stored before the walk was skipped"
