"""Articles and pages as the contract's JSON, written by hand rather than by pydantic.

The feed is the hottest read of the INFO tab: validating a page model we built ourselves
would cost more CPU than fetching the page. The route documents `api.NewsPage` (whose fields
`tests/integration/test_info_api.py` holds this encoding to) and answers these bytes; the page
cache stores the same article objects, so a hit is parsed once and re-encoded.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from functions.info.model import Article, Page


def article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id, "title": article.title, "url": article.url,
        "snippet": article.snippet, "source": article.source,
        "source_name": article.source_name, "published_at": article.published_at.isoformat(),
        "thumbnail_url": article.thumbnail_url, "category": article.category,
        "source_icon_url": article.source_icon_url, "video_url": article.video_url,
        "keywords": list(article.keywords), "ai_tag": article.ai_tag,
    }  # fmt: skip


def article_of(data: dict[str, Any]) -> Article:
    return Article(
        **{**data, "published_at": datetime.fromisoformat(data["published_at"]),
           "keywords": tuple(data["keywords"])}
    )  # fmt: skip


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def dump_page(page: Page) -> bytes:
    """A page for the cache (articles, cursor, total; not its time left)."""
    return _encode({
        "articles": [article_json(a) for a in page.articles],
        "next_cursor": page.next_cursor, "has_more": page.has_more, "total": page.total,
    })  # fmt: skip


def load_page(raw: bytes, expires_in: int) -> Page:
    body = json.loads(raw)
    articles = [article_of(a) for a in body["articles"]]
    return Page(articles, body["next_cursor"], body["has_more"], body["total"], expires_in)


def news_body(page: Page) -> bytes:
    """`GET /info/news`'s answer (http-api.md, Info)."""
    return _encode({
        "articles": [article_json(a) for a in page.articles],
        "next_cursor": page.next_cursor, "has_more": page.has_more,
        "meta": {"total_cached": page.total, "cache_expires_in": page.expires_in},
    })  # fmt: skip
