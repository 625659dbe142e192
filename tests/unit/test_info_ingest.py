"""The ingest: every source pulled independently, articles de-duplicated, images looked up
for new ones only, budgets respected; providers are the local wire fakes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from functions.info.ingest import Budget, Ingest
from functions.info.memory_articles import MemoryArticleRepository
from functions.info.model import RawArticle
from functions.info.ports import Permit, Source
from functions.info.quota import MemoryQuota
from functions.info.source_naver import NaverNewsSource
from functions.info.source_newsdata import NewsDataSource
from functions.info.source_rss import RssSource
from functions.info.source_sample import SampleSource
from tests.support.news_fakes import (
    NAVER_ID,
    NAVER_SECRET,
    NEWSDATA_KEY,
    Failure,
    NewsFake,
    naver_item,
    news_fake,
    newsdata_result,
    rss_document,
)

PLENTY = Budget(daily=1000, per_minute=1000)


class Images:
    """A stand-in for the og:image lookup that records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def image_of(self, url: str) -> str | None:
        self.asked.append(url)
        return f"https://img.example/og/{len(self.asked)}.jpg"


class Broken:
    name = "broken"

    async def fetch(self, permit: Permit) -> list[RawArticle]:
        raise KeyError("a bug in an adapter")


@pytest.fixture
async def fake() -> AsyncIterator[NewsFake]:
    async with news_fake() as running:
        running.naver_items = [
            naver_item(
                "재활용 선별장 <b>AI</b> 로봇",
                "https://a.example/1?utm_source=naver",
                "Wed, 02 Dec 2026 10:00:00 +0900",
            ),
            naver_item("폐배터리 수거", "https://a.example/2", "Wed, 02 Dec 2026 09:00:00 +0900"),
        ]
        running.newsdata_results = [
            newsdata_result(
                "재활용 선별장 AI 로봇",
                "https://a.example/1?fbclid=z",
                "2026-12-02 01:00:00",
                image_url="https://img.example/nd.jpg",
            ),
        ]
        running.feeds["f"] = (
            "application/rss+xml",
            rss_document(
                "환경일보",
                [
                    ("탄소중립 실천", "https://b.example/3", "Tue, 01 Dec 2026 10:00:00 +0900", ""),
                ],
            ),
        )
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=0.5) as http:
        yield http


def sources(fake: NewsFake, client: httpx.AsyncClient) -> list[tuple[Source, Budget]]:
    return [
        (NewsDataSource(client, fake.url, NEWSDATA_KEY, [("environment", "환경")]), PLENTY),
        (RssSource(client, [(None, f"{fake.url}/feeds/f")]), PLENTY),
        (
            NaverNewsSource(client, fake.url, NAVER_ID, NAVER_SECRET, [("environment", "환경")]),
            PLENTY,
        ),
    ]


async def test_the_same_articles_ingested_twice_are_stored_once(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    store, images = MemoryArticleRepository(), Images()
    ingest = Ingest(sources(fake, client), store, MemoryQuota(), images)
    first = await ingest.run()
    assert first.fetched == {"newsdata": 1, "rss": 1, "naver": 2} and not first.failed
    assert first.new == 3  # a.example/1 came from two providers with different trackers
    page = await store.page(None, 10, None)
    assert [a.url for a in page.articles] == [
        "https://a.example/1",
        "https://a.example/2",
        "https://b.example/3",
    ]
    assert page.articles[0].source == "newsdata"  # the first configured source wins
    assert page.articles[0].thumbnail_url == "https://img.example/nd.jpg"
    assert sorted(images.asked) == ["https://a.example/2", "https://b.example/3"]
    second = await ingest.run()
    assert second.new == 0 and (await store.page(None, 10, None)).total == 3
    assert len(images.asked) == 2  # nothing looked up for articles already stored


@pytest.mark.parametrize(
    ("route", "failure"),
    [
        ("naver", Failure(status=500)),
        ("naver", Failure(delay_s=2.0)),
        ("newsdata", Failure(body=b"<html>oops</html>")),
        ("feed:f", Failure(status=404)),
    ],
    ids=["error-status", "timeout", "malformed", "feed-gone"],
)
async def test_one_source_failing_is_logged_and_the_others_still_land(
    fake: NewsFake,
    client: httpx.AsyncClient,
    route: str,
    failure: Failure,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail[route] = failure
    store = MemoryArticleRepository()
    chosen = [*sources(fake, client), (Broken(), PLENTY)]
    with caplog.at_level(logging.WARNING, logger="functions.info.ingest"):
        report = await Ingest(chosen, store, MemoryQuota(), Images()).run()
    failed = {"naver": "naver", "newsdata": "newsdata", "feed:f": "rss"}[route]
    assert set(report.failed) == {failed, "broken"}
    assert f"source {failed} failed" in caplog.text and "source broken broke" in caplog.text
    assert report.new >= 2 and (await store.page(None, 10, None)).total == report.new


async def test_the_daily_quota_and_the_rate_limit_stop_requests(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    naver = NaverNewsSource(
        client,
        fake.url,
        NAVER_ID,
        NAVER_SECRET,
        [("environment", "a"), ("energy", "b"), ("ai", "c")],
    )
    clock = [datetime(2026, 12, 3, 10, tzinfo=UTC).timestamp()]
    quota = MemoryQuota(lambda: clock[0])
    ingest = Ingest(
        [(naver, Budget(daily=4, per_minute=2))], MemoryArticleRepository(), quota, Images()
    )
    await ingest.run()
    assert fake.hits["naver"] == 2  # the minute's two
    await ingest.run()
    assert fake.hits["naver"] == 2  # same minute: nothing more
    clock[0] += 60
    await ingest.run()
    assert fake.hits["naver"] == 4  # a new minute, and the day's four are spent
    clock[0] += 60
    await ingest.run()
    assert fake.hits["naver"] == 4
    clock[0] += 86_400
    await ingest.run()
    assert fake.hits["naver"] == 6  # the next day


async def test_future_dates_are_clamped_and_the_sample_needs_no_network() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    store, images = MemoryArticleRepository(), Images()
    ingest = Ingest(
        [(SampleSource(now + timedelta(hours=5)), PLENTY)],
        store,
        MemoryQuota(),
        images,
        clock=lambda: now,
    )
    report = await ingest.run()
    page = await store.page(None, 50, None)
    assert report.new == page.total == 12 and images.asked == []
    assert page.articles[0].published_at == now  # 1 h "ago" of a clock 5 h ahead
    assert all(a.source == "sample" and a.title.startswith("[샘플]") for a in page.articles)
    assert {a.category for a in page.articles} == {"environment", "energy", "ai"}
