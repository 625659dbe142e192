"""The feed in PostgreSQL (asyncpg): the store of record.

A page is one index range scan: `(published_at, id) < ($cursor)` on the (category,
published_at, id) index, read backwards, `LIMIT n + 1` to learn whether more follow. Four
statements (with or without a category, with or without a cursor) rather than one with
`$1 IS NULL OR ...`, which a generic plan cannot use an index for. Counts per category are
kept in `info_article_counts` in the inserting transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from functions.info.model import Article, Page, Position, encode_cursor
from functions.kit.pg_outage import retry_on_outage

_COLUMNS = (
    "id, url, title, snippet, source, source_name, published_at, category, thumbnail_url, "
    "source_icon_url, video_url, keywords, ai_tag"
)
_INSERT = f"""
INSERT INTO info_articles ({_COLUMNS})
SELECT i, u, t, s, so, sn, p, c, th, ic, v, k::text[], a
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
    AS x(i, u, t, s, so, sn, p, c, th, ic, v, k, a)
ON CONFLICT (id) DO NOTHING
RETURNING category
"""
_COUNT = "UPDATE info_article_counts SET n = n + $2 WHERE category = $1"
_TOTAL = "SELECT n FROM info_article_counts WHERE category = $1"
_KNOWN = "SELECT id FROM info_articles WHERE id = ANY($1::uuid[])"
_ORDER = "ORDER BY published_at DESC, id DESC"
_PAGES = {
    (False, False): f"SELECT {_COLUMNS} FROM info_articles {_ORDER} LIMIT $1",
    (False, True): f"SELECT {_COLUMNS} FROM info_articles "
    f"WHERE (published_at, id) < ($2::timestamptz, $3::uuid) {_ORDER} LIMIT $1",
    (True, False): f"SELECT {_COLUMNS} FROM info_articles WHERE category = $2 {_ORDER} LIMIT $1",
    (True, True): f"SELECT {_COLUMNS} FROM info_articles WHERE category = $2 "
    f"AND (published_at, id) < ($3::timestamptz, $4::uuid) {_ORDER} LIMIT $1",
}


def _article(row: Any) -> Article:
    return Article(
        id=str(row["id"]),
        title=row["title"],
        url=row["url"],
        snippet=row["snippet"],
        source=row["source"],
        source_name=row["source_name"],
        published_at=row["published_at"],
        category=row["category"],
        thumbnail_url=row["thumbnail_url"],
        source_icon_url=row["source_icon_url"],
        video_url=row["video_url"],
        keywords=tuple(row["keywords"]),
        ai_tag=row["ai_tag"],
    )


def _columns(articles: Sequence[Article]) -> list[list[Any]]:
    return [
        [a.id for a in articles],
        [a.url for a in articles],
        [a.title for a in articles],
        [a.snippet for a in articles],
        [a.source for a in articles],
        [a.source_name for a in articles],
        [a.published_at for a in articles],
        [a.category for a in articles],
        [a.thumbnail_url for a in articles],
        [a.source_icon_url for a in articles],
        [a.video_url for a in articles],
        ["{" + ",".join(_array_item(k) for k in a.keywords) + "}" for a in articles],
        [a.ai_tag for a in articles],
    ]


def _array_item(text: str) -> str:
    """One element of a text[] literal (unnest cannot take an array of arrays of unequal
    length, so each row's keywords travel as a literal)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class PostgresArticleRepository:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def add(self, articles: Sequence[Article]) -> int:
        unique = list({a.id: a for a in articles}.values())
        if not unique:
            return 0
        with retry_on_outage():
            async with self._pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(_INSERT, *_columns(unique))
                added = Counter(r["category"] for r in rows)
                if added:
                    added["all"] = len(rows)
                for category in sorted(added):  # one lock order for every ingest
                    await conn.execute(_COUNT, category, added[category])
        return len(rows)

    async def known(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        with retry_on_outage():
            rows = await self._pool.fetch(_KNOWN, list(ids))
        return {str(r["id"]) for r in rows}

    async def page(self, category: str | None, limit: int, after: Position | None) -> Page:
        args: list[Any] = [limit + 1]
        if category is not None:
            args.append(category)
        if after is not None:
            args += [after.published_at, after.id]
        query = _PAGES[(category is not None, after is not None)]
        with retry_on_outage():
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(query, *args)
                total = await conn.fetchval(_TOTAL, category or "all")
        chosen = [_article(r) for r in rows[:limit]]
        has_more = len(rows) > limit
        cursor = encode_cursor(chosen[-1].position) if has_more else None
        return Page(chosen, cursor, has_more, int(total or 0))
