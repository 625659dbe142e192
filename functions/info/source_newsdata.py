"""NewsData.io (`GET /api/1/latest`, newsdata.io/documentation): Korean-language news for a
query, with the key as the `apikey` parameter.

An answer is `{"status": "success", "totalResults", "results": [...], "nextPage"}`; a result
has `title`, `link`, `description`, `pubDate` (`YYYY-MM-DD HH:MM:SS`, UTC: `pubDateTZ`),
`image_url`, `video_url`, `source_name`, `source_icon`, `keywords` (a list or null),
`category` (a list) and `ai_tag` (a list, or a "ONLY AVAILABLE IN ..." notice on lower
plans, which we drop). Errors answer `{"status": "error", "results": {"message", "code"}}`.
One request per query; `nextPage` is not followed (the newest page is what a tick needs).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from functions.info.fetching import QuotaSpent, get, json_body, text
from functions.info.model import CategoryName, RawArticle, SourceError
from functions.info.ports import Permit

log = logging.getLogger(__name__)
NAME = "newsdata"
PATH = "/api/1/latest"
_CATEGORIES: dict[str, CategoryName] = {"environment": "environment", "technology": "ai",
                                        "science": "environment"}  # fmt: skip


class NewsDataSource:
    name = NAME

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        queries: list[tuple[CategoryName, str]],
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + PATH
        self._key = api_key
        self._queries = queries

    async def fetch(self, permit: Permit) -> list[RawArticle]:
        found: list[RawArticle] = []
        for hint, query in self._queries:
            params: dict[str, str | int] = {"apikey": self._key, "q": query, "language": "ko"}
            try:
                body = await get(self._client, NAME, self._url, permit, params=params)
            except QuotaSpent:
                log.info("newsdata: budget spent after %d articles", len(found))
                break
            found += parse(json_body(NAME, body), hint)
        return found


def parse(body: Any, hint: CategoryName | None = None) -> list[RawArticle]:
    if not isinstance(body, dict) or body.get("status") != "success":
        message = body.get("results") if isinstance(body, dict) else None
        raise SourceError(f"newsdata: not a success answer: {str(message)[:200]}")
    results = body.get("results")
    if not isinstance(results, list):
        raise SourceError("newsdata: the answer has no `results` list")
    return [a for a in (_article(r, hint) for r in results) if a is not None]


def _time(value: Any) -> datetime | None:
    try:
        return datetime.strptime(text(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _ai_tag(value: Any) -> str | None:
    tags = _strings(value) if isinstance(value, list) else [text(value)]
    tags = [t for t in tags if t and not t.upper().startswith("ONLY AVAILABLE")]
    return ", ".join(tags) or None


def _article(item: Any, hint: CategoryName | None) -> RawArticle | None:
    if not isinstance(item, dict):
        return None
    published = _time(item.get("pubDate"))
    if not text(item.get("link")) or not text(item.get("title")) or published is None:
        log.debug("newsdata: result skipped (no link, title or date): %r", item)
        return None
    own = next((_CATEGORIES[c] for c in _strings(item.get("category")) if c in _CATEGORIES), None)
    return RawArticle(
        title=text(item.get("title")),
        url=text(item.get("link")),
        snippet=text(item.get("description")),
        source=NAME,
        source_name=text(item.get("source_name")) or text(item.get("source_id")),
        published_at=published,
        thumbnail_url=text(item.get("image_url")) or None,
        source_icon_url=text(item.get("source_icon")) or None,
        video_url=text(item.get("video_url")) or None,
        keywords=tuple(_strings(item.get("keywords"))),
        ai_tag=_ai_tag(item.get("ai_tag")),
        category_hint=hint or own,
    )
