"""The ingest that runs during the bench: the real `Ingest` (RSS adapter, cleaning,
de-duplication, PostgreSQL adapter) once a second against a local RSS feed that publishes
`--rate` new items per request, a share of them backdated into the stored span (so they land
in the middle of the feed, where a reader's cursor may be).

    python -m tests.load.info.feed_ingest --pg DSN --rate 20 --backdated 0.3

The og:image lookup is left out (the links are not reachable; its cost is the page fetch).
"""

from __future__ import annotations

import argparse
import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import asyncpg  # type: ignore[import-untyped]
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from functions.info.ingest import Budget, Ingest
from functions.info.postgres_articles import PostgresArticleRepository
from functions.info.quota import MemoryQuota
from functions.info.source_rss import RssSource
from tests.load.info.seed import SPAN_S
from tests.support.loopback import serve
from tests.support.news_fakes import rss_document


class NoImages:
    async def image_of(self, url: str) -> str | None:
        return None


def feed_app(rate: int, backdated: float, rng: random.Random) -> Starlette:
    counter = [0]

    async def feed(request: Request) -> Response:
        now = datetime.now(UTC)
        items = []
        for _ in range(rate):
            counter[0] += 1
            back = rng.randrange(SPAN_S) if rng.random() < backdated else rng.randrange(5)
            when = format_datetime(now - timedelta(seconds=back))
            items.append(
                (
                    f"[벤치] 새 기사 {counter[0]} 재활용",
                    f"https://bench.example/live/{counter[0]}?utm_source=rss",
                    when,
                    "요약",
                )
            )
        return Response(rss_document("벤치 RSS", items), media_type="application/rss+xml")

    return Starlette(routes=[Route("/feed", feed)])


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pg", required=True)
    p.add_argument("--rate", type=int, default=20)
    p.add_argument("--backdated", type=float, default=0.3)
    args = p.parse_args()
    rng = random.Random(7)
    pool = await asyncpg.create_pool(args.pg, min_size=1, max_size=2)
    async with serve(feed_app(args.rate, args.backdated, rng)) as url, httpx.AsyncClient() as http:
        source = RssSource(http, [(None, f"{url}/feed")])
        ingest = Ingest(
            [(source, Budget(10**9, 10**9))],
            PostgresArticleRepository(pool),
            MemoryQuota(),
            NoImages(),
        )
        print("ready", flush=True)
        while True:
            await ingest.run()
            await asyncio.sleep(1.0)


if __name__ == "__main__":
    asyncio.run(main())
