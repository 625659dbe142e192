"""Each news source adapter against a local fake speaking its provider's wire format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from functions.info.model import SourceError
from functions.info.rules import clean
from functions.info.source_naver import NaverNewsSource
from functions.info.source_newsdata import NewsDataSource
from functions.info.source_rss import RssSource
from tests.support.news_fakes import (
    NAVER_ID,
    NAVER_SECRET,
    NEWSDATA_KEY,
    Failure,
    NewsFake,
    atom_document,
    naver_item,
    news_fake,
    newsdata_result,
    rss_document,
)


@pytest.fixture
async def fake() -> AsyncIterator[NewsFake]:
    async with news_fake() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=0.5) as http:
        yield http


async def allow() -> bool:
    return True


async def refuse() -> bool:
    return False


def naver(fake: NewsFake, client: httpx.AsyncClient, secret: str = NAVER_SECRET) -> NaverNewsSource:
    queries = [("environment", "분리배출"), ("energy", "재생에너지")]
    return NaverNewsSource(client, fake.url, NAVER_ID, secret, queries)  # type: ignore[arg-type]


async def test_naver_items_become_articles_with_the_outlets_link(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    fake.naver_items = [
        naver_item(
            "<b>분리배출</b> 요령",
            "https://www.hani.co.kr/a/1?utm_medium=x",
            "Thu, 03 Dec 2026 09:30:00 +0900",
            "&quot;라벨&quot; 제거",
        )
    ]
    found = await naver(fake, client).fetch(allow)
    assert fake.hits["naver"] == 2  # one request per query
    assert len(found) == 2  # the fake answers both queries with the same item
    article = clean(found[0])
    assert (article.title, article.snippet) == ("분리배출 요령", '"라벨" 제거')
    assert article.url == "https://www.hani.co.kr/a/1"
    assert article.source_name == "hani.co.kr" and article.source == "naver"
    assert article.published_at == datetime(2026, 12, 3, 0, 30, tzinfo=UTC)


async def test_naver_with_wrong_credentials_is_a_source_error(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    with pytest.raises(SourceError, match="401"):
        await naver(fake, client, secret="wrong").fetch(allow)


async def test_a_spent_budget_sends_no_request(fake: NewsFake, client: httpx.AsyncClient) -> None:
    assert await naver(fake, client).fetch(refuse) == []
    assert fake.hits["naver"] == 0


@pytest.mark.parametrize(
    "failure",
    [
        Failure(status=500),
        Failure(body=b"{not json"),
        Failure(body=b'{"x": 1}'),
        Failure(delay_s=2.0),
    ],
    ids=["status", "not-json", "wrong-shape", "timeout"],
)
async def test_naver_failures_are_source_errors(
    fake: NewsFake, client: httpx.AsyncClient, failure: Failure
) -> None:
    fake.fail["naver"] = failure
    with pytest.raises(SourceError):
        await naver(fake, client).fetch(allow)


async def test_newsdata_results_keep_outlet_icon_image_and_drop_the_plan_notice(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    fake.newsdata_results = [
        newsdata_result(
            "전기차 충전 요금 인상",
            "https://e.example/n/1",
            "2026-12-02 23:10:00",
            image_url="https://img.example/1.jpg",
            keywords=["전기차"],
        ),
        newsdata_result("no date", "https://e.example/n/2", "yesterday"),
    ]
    source = NewsDataSource(client, fake.url, NEWSDATA_KEY, [("energy", "에너지")])
    (found,) = await source.fetch(allow)
    article = clean(found)
    assert (article.source_name, article.thumbnail_url) == ("한겨레", "https://img.example/1.jpg")
    assert article.source_icon_url == "https://i.bytvi.com/domain_icons/hani.png"
    assert article.ai_tag is None and article.category == "energy"
    assert "전기차" in article.keywords
    assert article.published_at == datetime(2026, 12, 2, 23, 10, tzinfo=UTC)


async def test_newsdata_error_answers_are_source_errors(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    with pytest.raises(SourceError, match="401"):
        await NewsDataSource(client, fake.url, "bad-key", [("energy", "x")]).fetch(allow)
    fake.fail["newsdata"] = Failure(body=b'{"status": "error", "results": {"message": "x"}}')
    with pytest.raises(SourceError, match="not a success"):
        await NewsDataSource(client, fake.url, NEWSDATA_KEY, [("energy", "x")]).fetch(allow)


async def test_rss_and_atom_feeds_are_read_and_one_broken_feed_spares_the_others(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    fake.feeds["rss"] = (
        "application/rss+xml",
        rss_document(
            "에너지경제",
            [
                (
                    "수소 충전소 확대",
                    "https://ekn.example/1",
                    "Wed, 02 Dec 2026 10:00:00 +0900",
                    "<p>수소 <b>충전</b></p>",
                ),
            ],
        ),
    )
    fake.feeds["atom"] = (
        "application/atom+xml",
        atom_document(
            "환경일보",
            [
                (
                    "폐비닐 재활용",
                    "https://hkbs.example/2",
                    "2026-12-02T03:00:00Z",
                    "&lt;b&gt;폐비닐&lt;/b&gt;",
                ),
            ],
        ),
    )
    fake.fail["feed:broken"] = Failure(status=503)
    feeds = [(None, f"{fake.url}/feeds/{n}") for n in ("rss", "broken", "atom")]
    found = await RssSource(client, feeds).fetch(allow)  # type: ignore[arg-type]
    articles = {a.url: a for a in map(clean, found)}
    assert set(articles) == {"https://ekn.example/1", "https://hkbs.example/2"}
    first = articles["https://ekn.example/1"]
    assert (first.source_name, first.snippet, first.category) == (
        "에너지경제",
        "수소 충전",
        "energy",
    )
    assert first.source_icon_url == "https://outlet.example/icon.png"
    assert articles["https://hkbs.example/2"].snippet == "폐비닐"


async def test_rss_fails_when_every_feed_fails(fake: NewsFake, client: httpx.AsyncClient) -> None:
    fake.feeds["junk"] = ("text/html", b"<html><body>not a feed</body></html>")
    feeds = [(None, f"{fake.url}/feeds/junk"), (None, f"{fake.url}/feeds/missing")]
    with pytest.raises(SourceError, match="every feed"):
        await RssSource(client, feeds).fetch(allow)  # type: ignore[arg-type]
