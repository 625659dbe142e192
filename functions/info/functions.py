"""The info domain's functions and providers: the news feed API and its scheduled ingest."""

from __future__ import annotations

from functions.info import wiring
from functions.kit.container import Provider
from functions.kit.declare import Delivery, Function, Kind, Scaling, Schedule, scheduled

NEWS_PATH = "/api/v1/info"

FUNCTIONS = (
    Function(
        name="info-api",
        domain="info",
        kind=Kind.HTTP,
        handler="functions.info.api:router",
        route_prefix=NEWS_PATH,
        scaling=Scaling(
            min_scale=0, max_scale=10, target_concurrency=200, container_concurrency=500
        ),
        description="GET /api/v1/info/news (keyset-paged feed), GET /api/v1/info/categories.",
    ),
    Function(
        name="info-ingest",
        domain="info",
        handler="functions.info.ingest:ingest",
        trigger=scheduled("info-ingest"),
        schedule=Schedule(minutes=30),
        # One tick at a time per replica; a tick that fails is retried once, the next comes
        # anyway. Longer than every source's timeout plus the image lookups.
        delivery=Delivery(retries=1, base_delay_s=30.0, timeout_s=240),
        scaling=Scaling(min_scale=0, max_scale=1, target_concurrency=1, container_concurrency=1),
        description="Pulls Naver News, NewsData.io and RSS feeds into the feed (every 30 min).",
    ),
)

PROVIDERS: dict[str, Provider] = {
    "info_articles": wiring.info_articles,
    "info_quota": wiring.info_quota,
    "info_ingest": wiring.info_ingest,
}
