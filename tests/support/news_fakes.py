"""Local fakes of the news providers, on their real wire formats (no internet at test time).

One Starlette app on 127.0.0.1 (uvicorn in-process) serves:

- Naver News Search: `GET /v1/search/news.json` — checks `X-Naver-Client-Id` /
  `X-Naver-Client-Secret` (else 401 `{"errorMessage", "errorCode": "024"}`) and `query`
  (else 400 `SE01`), answers `{"lastBuildDate", "total", "start", "display", "items"}` with
  `<b>`-highlighted titles and RFC 822 `pubDate`s, as the API does;
- NewsData.io: `GET /api/1/latest` — checks `apikey` (else 401 `{"status": "error",
  "results": {"message", "code"}}`), answers `{"status": "success", "totalResults",
  "results", "nextPage"}`;
- feeds: `GET /feeds/{name}` — the RSS or Atom document set for that name;
- article pages: `GET /pages/{name}` — HTML with the `og:image` set for that name, or a
  302 to the `redirects` target set for it.

`fake.fail[route] = Failure(status=500)` (or `delay_s`, or a `body` that is not the format)
makes that route misbehave until cleared; `fake.hits` counts requests by route.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.loopback import serve

NAVER_ID, NAVER_SECRET, NEWSDATA_KEY = "naver-test-id", "naver-test-secret", "pub_test_key"


@dataclass(frozen=True)
class Failure:
    status: int = 200
    delay_s: float = 0.0
    body: bytes | None = None  # served as is (e.g. not JSON)


def naver_item(title: str, url: str, pub: str, description: str = "") -> dict[str, str]:
    return {
        "title": title,
        "originallink": url,
        "link": "https://n.news.naver.com/mnews/article/001/0000000001",
        "description": description,
        "pubDate": pub,
    }


def newsdata_result(title: str, url: str, pub: str, **extra: Any) -> dict[str, Any]:
    base = {
        "article_id": "a" * 32,
        "title": title,
        "link": url,
        "keywords": None,
        "creator": None,
        "video_url": None,
        "description": "",
        "content": "ONLY AVAILABLE IN PAID PLANS",
        "pubDate": pub,
        "pubDateTZ": "UTC",
        "image_url": None,
        "source_id": "hankyoreh",
        "source_name": "한겨레",
        "source_url": "https://www.hani.co.kr",
        "source_icon": "https://i.bytvi.com/domain_icons/hani.png",
        "language": "korean",
        "country": ["south korea"],
        "category": ["environment"],
        "ai_tag": "ONLY AVAILABLE IN PROFESSIONAL AND CORPORATE PLANS",
        "duplicate": False,
    }
    return {**base, **extra}


@dataclass
class NewsFake:
    naver_items: list[dict[str, Any]] = field(default_factory=list)
    newsdata_results: list[dict[str, Any]] = field(default_factory=list)
    feeds: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name: (type, body)
    pages: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # page name: Location
    fail: dict[str, Failure] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    url: str = ""

    async def _misbehave(self, route: str) -> Response | None:
        self.hits[route] += 1
        failure = self.fail.get(route)
        if failure is None:
            return None
        if failure.delay_s:
            await asyncio.sleep(failure.delay_s)
        if failure.body is not None or failure.status != 200:
            return Response(failure.body or b"", failure.status, media_type="application/json")
        return None

    async def naver(self, request: Request) -> Response:
        if (bad := await self._misbehave("naver")) is not None:
            return bad
        headers = request.headers
        if (headers.get("x-naver-client-id"), headers.get("x-naver-client-secret")) != (
            NAVER_ID,
            NAVER_SECRET,
        ):
            body = {
                "errorMessage": "Not Exist Client ID : Authentication failed.",
                "errorCode": "024",
            }
            return JSONResponse(body, 401)
        if not request.query_params.get("query"):
            return JSONResponse(
                {"errorMessage": "Incorrect query request (query)", "errorCode": "SE01"}, 400
            )
        display = int(request.query_params.get("display", "10"))
        items = self.naver_items[:display]
        return JSONResponse(
            {
                "lastBuildDate": "Thu, 03 Dec 2026 09:00:00 +0900",
                "total": len(self.naver_items),
                "start": 1,
                "display": len(items),
                "items": items,
            }
        )

    async def newsdata(self, request: Request) -> Response:
        if (bad := await self._misbehave("newsdata")) is not None:
            return bad
        if request.query_params.get("apikey") != NEWSDATA_KEY:
            body = {
                "status": "error",
                "results": {"message": "API key is invalid.", "code": "Unauthorized"},
            }
            return JSONResponse(body, 401)
        return JSONResponse(
            {
                "status": "success",
                "totalResults": len(self.newsdata_results),
                "results": self.newsdata_results,
                "nextPage": None,
            }
        )

    async def feed(self, request: Request) -> Response:
        name = request.path_params["name"]
        if (bad := await self._misbehave(f"feed:{name}")) is not None:
            return bad
        if name not in self.feeds:
            return Response(b"not found", 404)
        media_type, body = self.feeds[name]
        return Response(body, media_type=media_type)

    async def page(self, request: Request) -> Response:
        name = request.path_params["name"]
        if (bad := await self._misbehave(f"page:{name}")) is not None:
            return bad
        if name in self.redirects:
            return Response(b"", 302, headers={"Location": self.redirects[name]})
        return Response(self.pages.get(name, b"<html></html>"), media_type="text/html")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/search/news.json", self.naver),
                Route("/api/1/latest", self.newsdata),
                Route("/feeds/{name}", self.feed),
                Route("/pages/{name}", self.page),
            ]
        )


@contextlib.asynccontextmanager
async def news_fake() -> AsyncIterator[NewsFake]:
    fake = NewsFake()
    async with serve(fake.app()) as url:
        fake.url = url
        yield fake


def rss_document(title: str, items: list[tuple[str, str, str, str]]) -> bytes:
    """RSS 2.0 with media thumbnails: items are (title, link, RFC 822 date, description)."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{date}</pubDate>"
        f"<description><![CDATA[{d}]]></description></item>"
        for t, link, date, d in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{title}</title><link>https://outlet.example/</link>"
        "<image><url>https://outlet.example/icon.png</url><title>t</title>"
        "<link>https://outlet.example/</link></image>"
        f"{entries}</channel></rss>"
    ).encode()


def atom_document(title: str, entries: list[tuple[str, str, str, str]]) -> bytes:
    """Atom 1.0: entries are (title, link, RFC 3339 time, summary)."""
    body = "".join(
        f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id>'
        f'<updated>{when}</updated><summary type="html">{s}</summary></entry>'
        for t, link, when, s in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:x</id><updated>2026-12-03T00:00:00Z</updated>"
        f"{body}</feed>"
    ).encode()


def og_page(image: str | None, padding: int = 0) -> bytes:
    meta = f'<meta property="og:image" content="{image}">' if image else ""
    return f"<html><head><title>x</title>{' ' * padding}{meta}</head><body>…</body></html>".encode()
