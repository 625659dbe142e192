"""`info-ingest`: on its schedule, pull every configured source, clean, de-duplicate, find
missing images and store what is new.

Sources run concurrently and independently: a provider's error status, a timeout or a body
not in its format is logged and that source alone contributes nothing this time. Each request
a source makes is first counted against its daily quota and rate limit. Articles are cleaned
(`rules.clean`: canonical URL, text without HTML, category), de-duplicated by id (within the
batch, the first source in the configured order wins; against the store, by `known`), and
only new ones without a thumbnail get their page's `og:image` looked up (bounded
concurrency, each lookup capped in time and size, public addresses only). Storing is
idempotent, so a tick delivered twice (a PingSource may) changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from eventing.events.mesh import Ping
from functions.info.model import Article, RawArticle, SourceError
from functions.info.ports import ArticleRepository, ImageFinder, Quota, Source
from functions.info.rules import clean

log = logging.getLogger(__name__)
NO_IMAGE_LOOKUP = frozenset({"sample"})  # shipped articles: nothing to fetch, offline


@dataclass(frozen=True, slots=True)
class Budget:
    daily: int
    per_minute: int


@dataclass
class Report:
    fetched: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    new: int = 0
    images_found: int = 0


class Ingest:
    def __init__(
        self,
        sources: Sequence[tuple[Source, Budget]],
        articles: ArticleRepository,
        quota: Quota,
        images: ImageFinder,
        *,
        source_timeout_s: float = 60.0,
        image_concurrency: int = 8,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sources = list(sources)
        self._articles = articles
        self._quota = quota
        self._images = images
        self._source_timeout_s = source_timeout_s
        self._image_slots = asyncio.Semaphore(image_concurrency)
        self._clock = clock

    @property
    def source_names(self) -> list[str]:
        return [source.name for source, _ in self._sources]

    async def run(self) -> Report:
        report = Report()
        batches = await asyncio.gather(*(self._pull(s, b, report) for s, b in self._sources))
        fresh = self._cleaned([raw for batch in batches for raw in batch])
        known = await self._articles.known(list(fresh))
        new = [article for ident, article in fresh.items() if ident not in known]
        new = list(await asyncio.gather(*(self._with_image(a, report) for a in new)))
        report.new = await self._articles.add(new)
        log.info("info ingest: %s", report)
        return report

    async def _pull(self, source: Source, budget: Budget, report: Report) -> list[RawArticle]:
        async def permit() -> bool:
            return await self._quota.take(source.name, budget.daily, budget.per_minute)

        try:
            async with asyncio.timeout(self._source_timeout_s):
                found = await source.fetch(permit)
        except SourceError as exc:
            log.warning("info ingest: source %s failed: %s", source.name, exc.detail)
            report.failed[source.name] = exc.detail
            return []
        except TimeoutError:
            log.warning("info ingest: source %s timed out", source.name)
            report.failed[source.name] = "timeout"
            return []
        except Exception as exc:  # a bug in one adapter must not cost the others their tick
            log.exception("info ingest: source %s broke", source.name)
            report.failed[source.name] = repr(exc)
            return []
        report.fetched[source.name] = len(found)
        return found

    def _cleaned(self, raws: Sequence[RawArticle]) -> dict[str, Article]:
        now = self._clock()
        found: dict[str, Article] = {}
        for raw in raws:
            try:
                article = clean(raw)
            except ValueError as exc:
                log.debug("info ingest: article dropped: %s", exc)
                continue
            if article.published_at > now:  # a wrong clock would pin it atop the feed
                article = replace(article, published_at=now)
            found.setdefault(article.id, article)
        return found

    async def _with_image(self, article: Article, report: Report) -> Article:
        if article.thumbnail_url or article.source in NO_IMAGE_LOOKUP:
            return article
        async with self._image_slots:
            image = await self._images.image_of(article.url)
        if image is None:
            return article
        report.images_found += 1
        return replace(article, thumbnail_url=image)


async def ingest(data: Ping, info_ingest: Ingest) -> None:
    """The scheduled function's handler (a PingSource's tick, or the local mesh's ticker)."""
    report = await info_ingest.run()
    if report.failed:
        log.warning("%s: %d source(s) failed: %s", data.function, len(report.failed),
                    sorted(report.failed))  # fmt: skip
