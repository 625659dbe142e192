"""Naver News Search API (`GET /v1/search/news.json`, developers.naver.com/docs/serviceapi/
search/news): one request per configured query, newest first (`sort=date`), authenticated by
the `X-Naver-Client-Id` / `X-Naver-Client-Secret` headers.

Its items carry `title` and `description` with `<b>` highlights and entities, `originallink`
(the outlet's URL: what we store and de-duplicate on) and `link` (Naver's copy, when the
outlet is not linked), and `pubDate` in RFC 822. No outlet name, no image: the outlet is the
link's host and the image comes from the page's `og:image`. Errors answer
`{"errorMessage", "errorCode"}` with a 4xx/5xx status.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from functions.info.fetching import QuotaSpent, get, json_body, rfc822_time, text
from functions.info.model import CategoryName, RawArticle, SourceError
from functions.info.ports import Permit

log = logging.getLogger(__name__)
NAME = "naver"
PATH = "/v1/search/news.json"


class NaverNewsSource:
    name = NAME

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        client_id: str,
        client_secret: str,
        queries: list[tuple[CategoryName, str]],
        *,
        per_query: int = 50,
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + PATH
        self._headers = {"X-Naver-Client-Id": client_id, "X-Naver-Client-Secret": client_secret}
        self._queries = queries
        self._display = max(1, min(100, per_query))  # the API's bounds

    async def fetch(self, permit: Permit) -> list[RawArticle]:
        found: list[RawArticle] = []
        for hint, query in self._queries:
            params: dict[str, str | int] = {"query": query, "display": self._display,
                                            "start": 1, "sort": "date"}  # fmt: skip
            try:
                body = await get(self._client, NAME, self._url, permit,
                                     params=params, headers=self._headers)  # fmt: skip
            except QuotaSpent:
                log.info("naver: budget spent after %d articles", len(found))
                break
            found += parse(json_body(NAME, body), hint)
        return found


def parse(body: Any, hint: CategoryName | None = None) -> list[RawArticle]:
    """The articles of one answer; SourceError if it is not the API's shape."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise SourceError("naver: the answer has no `items` list")
    found = []
    for item in body["items"]:
        article = _article(item, hint)
        if article is not None:
            found.append(article)
    return found


def _article(item: Any, hint: CategoryName | None) -> RawArticle | None:
    if not isinstance(item, dict):
        return None
    url = text(item.get("originallink")) or text(item.get("link"))
    published = rfc822_time(item.get("pubDate"))
    if not url or published is None or not text(item.get("title")):
        log.debug("naver: item skipped (no link, title or date): %r", item)
        return None
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return RawArticle(
        title=text(item.get("title")),
        url=url,
        snippet=text(item.get("description")),
        source=NAME,
        source_name=host,
        published_at=published,
        category_hint=hint,
    )
