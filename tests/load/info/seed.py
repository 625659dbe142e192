"""The bench's stored feed: N articles over the last 30 days in PostgreSQL, through the same
adapter (and migrations) the mesh uses, and cursors spread evenly through it for deep pages."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.info.model import CATEGORIES, Article, Position, encode_cursor
from functions.info.postgres_articles import PostgresArticleRepository
from functions.kit.migrations import migrate

MIGRATIONS = [Path("functions/info/migrations")]
BATCH = 5_000
SPAN_S = 30 * 86_400


def fake_article(n: int, at: datetime, rng: random.Random, tag: str = "seed") -> Article:
    url = f"https://bench.example/{tag}/{n}"
    return Article(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, url)),
        title=f"[벤치] 기사 {n}: 재활용과 에너지 전환",
        url=url,
        snippet="벤치마크용 기사 요약입니다. " * 4,
        source="rss",
        source_name="벤치 피드",
        published_at=at,
        category=rng.choice(CATEGORIES),
        thumbnail_url=f"https://img.bench.example/{n}.jpg" if n % 3 else None,
        keywords=("재활용", "에너지"),
    )


async def seed(pool: Any, count: int, rng: random.Random) -> None:
    """`count` articles, times at whole seconds (so some share a time: ties by id)."""
    await migrate(pool, MIGRATIONS)
    repo = PostgresArticleRepository(pool)
    now = datetime.now(UTC).replace(microsecond=0)
    for start in range(0, count, BATCH):
        batch = [
            fake_article(n, now - timedelta(seconds=rng.randrange(SPAN_S)), rng)
            for n in range(start, min(count, start + BATCH))
        ]
        await repo.add(batch)
    await pool.execute("ANALYZE info_articles")


async def deep_cursors(pool: Any, every: int) -> list[str]:
    """A cursor every `every` articles down the whole feed (page 2 onwards to the end)."""
    rows = await pool.fetch(
        """SELECT published_at, id FROM (
               SELECT published_at, id,
                      row_number() OVER (ORDER BY published_at DESC, id DESC) AS rn
               FROM info_articles) ranked
           WHERE rn % $1 = 0""",
        every,
    )
    return [encode_cursor(Position(r["published_at"], str(r["id"]))) for r in rows]


async def scroll_cursors(pool: Any, category: str, pages: int, limit: int) -> list[str]:
    """The cursors a reader scrolling from the top of `category` passes: pages 2..`pages`."""
    where = "" if category == "all" else "WHERE category = $2"
    args: list[Any] = [pages * limit] + ([] if category == "all" else [category])
    rows = await pool.fetch(
        f"SELECT published_at, id FROM info_articles {where} "
        "ORDER BY published_at DESC, id DESC LIMIT $1",
        *args,
    )
    ends = rows[limit - 1 :: limit][: pages - 1]
    return [encode_cursor(Position(r["published_at"], str(r["id"]))) for r in ends]
