"""The info domain's wiring: its adapters, by mode (named in `functions.py` PROVIDERS).

Embedded: the feed in memory. Real: PostgreSQL, read through the Redis page cache unless
`ECO2_INFO_CACHE_TTL_S=0`. Sources are switched on by their settings (a key, a feed list);
with none, the shipped sample feed stands in, and the store starts with it so the INFO tab is
never empty offline. Adapters and client libraries are imported when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast, get_args

from functions.info.ingest import Budget, Ingest
from functions.info.model import CategoryName
from functions.info.ports import ArticleRepository, Quota, Source
from functions.info.rules import clean
from functions.info.source_sample import SampleSource, sample_articles
from functions.kit.container import Container
from functions.kit.settings import Settings

if TYPE_CHECKING:
    import httpx

# ruff: noqa: PLC0415 - adapters are imported where they are chosen
USER_AGENT = "Eco2-news-ingest/1.0 (+https://github.com/eco2)"
_CATEGORIES = set(get_args(CategoryName))


def _category(name: str) -> CategoryName:
    if name not in _CATEGORIES:
        raise ValueError(f"{name!r} is not a news category ({sorted(_CATEGORIES)})")
    return cast(CategoryName, name)


def queries(text: str) -> list[tuple[CategoryName, str]]:
    """`environment:분리배출,energy:재생에너지` → [(category, query), ...]."""
    found = []
    for item in (i.strip() for i in text.split(",")):
        if item:
            category, _, query = item.partition(":")
            found.append((_category(category.strip()), query.strip()))
    return found


def feeds(text: str) -> list[tuple[CategoryName | None, str]]:
    """`energy@https://a/rss,https://b/feed` → [(category or None, url), ...]."""
    found: list[tuple[CategoryName | None, str]] = []
    for item in (i.strip() for i in text.split(",")):
        if item:
            category, at, url = item.partition("@")
            found.append((_category(category), url) if at and "://" not in category else
                         (None, item))  # fmt: skip
    return found


def live_sources_configured(settings: Settings) -> bool:
    return bool(
        (settings.info_naver_client_id and settings.info_naver_client_secret)
        or settings.info_newsdata_api_key
        or settings.info_rss_feeds.strip()
    )


async def info_articles(container: Container) -> ArticleRepository:
    settings = container.settings
    repo: ArticleRepository
    if settings.mode == "embedded":
        from functions.info.memory_articles import MemoryArticleRepository

        repo = MemoryArticleRepository()
    else:
        from functions.info.postgres_articles import PostgresArticleRepository

        repo = PostgresArticleRepository(await container.pg_pool())
        if settings.info_cache_ttl_s > 0:
            from functions.info.cached_articles import CachedArticleRepository
            from functions.info.redis_cache import RedisPageCache

            cache = RedisPageCache(await container.redis(), f"{settings.redis_prefix}info:page:")
            repo = CachedArticleRepository(repo, cache, settings.info_cache_ttl_s)
    if not live_sources_configured(settings):  # offline: the sample, stored once (idempotent)
        await repo.add([clean(raw) for raw in sample_articles()])
    return repo


async def info_quota(container: Container) -> Quota:
    settings = container.settings
    if settings.mode == "embedded":
        from functions.info.quota import MemoryQuota

        return MemoryQuota()
    from functions.info.quota import RedisQuota

    return RedisQuota(await container.redis(), f"{settings.redis_prefix}info:quota:")


def _sources(settings: Settings, client: httpx.AsyncClient) -> list[tuple[Source, Budget]]:
    rate = settings.info_rate_per_min
    found: list[tuple[Source, Budget]] = []
    if settings.info_newsdata_api_key:
        from functions.info.source_newsdata import NewsDataSource

        source = NewsDataSource(client, settings.info_newsdata_base_url,
                                settings.info_newsdata_api_key,
                                queries(settings.info_newsdata_queries))  # fmt: skip
        found.append((source, Budget(settings.info_newsdata_daily_quota, rate)))
    if settings.info_rss_feeds.strip():
        from functions.info.source_rss import RssSource

        rss = RssSource(client, feeds(settings.info_rss_feeds))
        found.append((rss, Budget(settings.info_rss_daily_quota, rate)))
    if settings.info_naver_client_id and settings.info_naver_client_secret:
        from functions.info.source_naver import NaverNewsSource

        naver = NaverNewsSource(client, settings.info_naver_base_url,
                                settings.info_naver_client_id,
                                settings.info_naver_client_secret,
                                queries(settings.info_naver_queries))  # fmt: skip
        found.append((naver, Budget(settings.info_naver_daily_quota, rate)))
    return found or [(SampleSource(), Budget(1_000_000, 1_000_000))]


async def info_ingest(container: Container) -> Ingest:
    import httpx

    from functions.info.og import OgImageFinder

    settings = container.settings
    headers = {"User-Agent": USER_AGENT}
    client = httpx.AsyncClient(timeout=settings.info_fetch_timeout_s, headers=headers,
                               follow_redirects=True)  # fmt: skip
    pages = httpx.AsyncClient(timeout=settings.info_og_timeout_s, headers=headers,
                              follow_redirects=False, trust_env=False)  # fmt: skip
    container.on_close(client.aclose)
    container.on_close(pages.aclose)
    images = OgImageFinder(pages, max_bytes=settings.info_og_max_bytes,
                           timeout_s=settings.info_og_timeout_s)  # fmt: skip
    return Ingest(
        _sources(settings, client),
        await container.get("info_articles"),
        await container.get("info_quota"),
        images,
    )
