"""`GET /api/v1/info/news` and `/categories` on the whole mesh, embedded and real: the
shipped sample keeps the tab populated offline, the contract's shape, stable paging, the
4xx answers, and the scheduled ingest landing a feed's articles through the broker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from functions.info.api import NewsPage
from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from tests.support.news_fakes import news_fake, rss_document
from tests.support.recorder import eventually

NEWS = "/api/v1/info/news"
FIELDS = {
    "id",
    "title",
    "url",
    "snippet",
    "source",
    "source_name",
    "published_at",
    "thumbnail_url",
    "category",
    "source_icon_url",
    "video_url",
    "keywords",
    "ai_tag",
}
USER = {"x-user-id": str(uuid.uuid4())}  # what the edge injects after verifying the session


@pytest.fixture
async def client(full_mesh: Mesh) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=full_mesh.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mesh", headers=USER) as c:
        yield c


async def test_the_tab_shows_the_sample_by_category_newest_first(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(NEWS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"articles", "next_cursor", "has_more", "meta"}
    assert set(body["meta"]) == {"total_cached", "cache_expires_in"}
    assert len(body["articles"]) == 10 and body["has_more"] and body["next_cursor"]
    assert body["meta"]["total_cached"] >= 12
    NewsPage.model_validate(body)  # the hand-written JSON is what the document promises
    for item in body["articles"]:
        assert set(item) == FIELDS and isinstance(item["keywords"], list)
    times = [datetime.fromisoformat(a["published_at"]) for a in body["articles"]]
    assert times == sorted(times, reverse=True)
    for category in ("environment", "energy", "ai"):
        page = (await client.get(NEWS, params={"category": category, "limit": 50})).json()
        assert page["articles"] and {a["category"] for a in page["articles"]} == {category}
        assert page["has_more"] is False and page["next_cursor"] is None


async def test_paging_with_the_cursor_covers_the_feed_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 5, "category": "all"}
    while True:
        body = (await client.get(NEWS, params=params)).json()
        seen += [a["id"] for a in body["articles"]]
        if not body["has_more"]:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == body["meta"]["total_cached"]


async def test_the_categories_have_their_korean_names(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/info/categories")
    assert response.status_code == 200
    assert response.json() == {
        "categories": [
            {"id": "all", "name": "전체"},
            {"id": "environment", "name": "환경"},
            {"id": "energy", "name": "에너지"},
            {"id": "ai", "name": "AI"},
        ]
    }


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"category": "sports"}, 422, "VALIDATION_ERROR"),
        ({"limit": 0}, 422, "VALIDATION_ERROR"),
        ({"limit": 51}, 422, "VALIDATION_ERROR"),
        ({"limit": "ten"}, 422, "VALIDATION_ERROR"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, 400, "INVALID_CURSOR"),
        ({"cursor": "%%%"}, 422, "VALIDATION_ERROR"),
    ],
)
async def test_bad_category_limit_or_cursor_is_a_4xx_in_the_contract_format(
    client: httpx.AsyncClient, params: dict[str, object], status: int, code: str
) -> None:
    response = await client.get(NEWS, params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == code and body["detail"]


async def test_without_a_session_it_is_401(full_mesh: Mesh) -> None:
    transport = httpx.ASGITransport(app=full_mesh.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mesh") as anonymous:
        for path in (NEWS, "/api/v1/info/categories"):
            response = await anonymous.get(path)
            assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"


async def test_the_document_describes_the_routes_and_their_errors(full_mesh: Mesh) -> None:
    doc = full_mesh.app.openapi()
    news = doc["paths"][NEWS]["get"]
    assert {"200", "400", "401", "422", "503"} <= set(news["responses"])
    names = {p["name"] for p in news["parameters"]}
    assert names == {"category", "limit", "cursor"}
    assert "/api/v1/info/categories" in doc["paths"]


async def test_the_scheduled_ingest_lands_a_feed_through_the_broker(
    either_settings: Settings,
) -> None:
    async with news_fake() as fake:
        fake.feeds["eco"] = (
            "application/rss+xml",
            rss_document(
                "환경일보",
                [
                    (
                        "폐플라스틱 열분해 상용화",
                        "https://hkbs.example/9?utm_source=rss",
                        "Wed, 02 Dec 2026 10:00:00 +0900",
                        "<b>재활용</b>",
                    ),
                ],
            ),
        )
        settings = either_settings.model_copy(
            update={
                "ticker_interval_s": 0.3,
                "info_rss_feeds": f"{fake.url}/feeds/eco",
                "info_og_timeout_s": 0.5,
                "info_cache_ttl_s": 1,
            }
        )
        mesh = Mesh(settings, build_registry())
        await mesh.start()
        try:
            transport = httpx.ASGITransport(app=mesh.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://m", headers=USER
            ) as client:

                async def landed() -> bool:
                    body = (await client.get(NEWS, params={"limit": 50})).json()
                    return any(a["url"] == "https://hkbs.example/9" for a in body["articles"])

                await eventually(landed, timeout_s=20, what="the feed's article in the feed")
        finally:
            await mesh.close()
