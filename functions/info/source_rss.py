"""RSS 2.0 / RSS 1.0 / Atom feeds of Korean environment and energy outlets (a configurable
list, `ECO2_INFO_RSS_FEEDS`), parsed by feedparser (ADR 0014: it reads every dialect and the
broken feeds real outlets publish, decodes their encodings and dates).

Each feed is one request; a feed that fails is a SourceError for that feed alone: the
others of the list are still read (the source fails only if every feed did).
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from datetime import UTC, datetime
from typing import Any

import feedparser  # type: ignore[import-untyped]  # no stubs shipped
import httpx

from functions.info.fetching import QuotaSpent, get, text
from functions.info.model import CategoryName, RawArticle, SourceError
from functions.info.ports import Permit

log = logging.getLogger(__name__)
NAME = "rss"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"


class RssSource:
    name = NAME

    def __init__(self, client: httpx.AsyncClient, feeds: list[tuple[CategoryName | None, str]]):
        self._client = client
        self._feeds = feeds

    async def fetch(self, permit: Permit) -> list[RawArticle]:
        found: list[RawArticle] = []
        failures: list[str] = []
        for hint, url in self._feeds:
            try:
                body = await get(self._client, NAME, url, permit, headers={"Accept": ACCEPT})
                found += await asyncio.to_thread(parse, body, hint)
            except QuotaSpent:
                log.info("rss: budget spent after %d articles", len(found))
                break
            except SourceError as exc:
                log.warning("rss: feed %s failed: %s", url, exc.detail)
                failures.append(url)
        if failures and len(failures) == len(self._feeds):
            raise SourceError(f"rss: every feed failed ({', '.join(failures)})")
        return found


def parse(document: bytes, hint: CategoryName | None = None) -> list[RawArticle]:
    """The entries of one feed document; SourceError if it is not a feed at all."""
    parsed = feedparser.parse(document)
    if parsed.get("bozo") and not parsed.get("entries"):
        raise SourceError(f"rss: not a feed ({parsed.get('bozo_exception')!r})"[:300])
    if not parsed.get("version") and not parsed.get("entries"):
        raise SourceError("rss: not a feed")
    feed = parsed.get("feed", {})
    outlet = text(feed.get("title"))
    icon = text((feed.get("image") or {}).get("href")) or text(feed.get("icon")) or None
    found = []
    for entry in parsed.get("entries", []):
        article = _article(entry, outlet, icon, hint)
        if article is not None:
            found.append(article)
    return found


def _time(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _image(entry: Any) -> str | None:
    for media in entry.get("media_thumbnail", []) or []:
        if text(media.get("url")):
            return text(media.get("url"))
    for media in entry.get("media_content", []) or []:
        if text(media.get("url")) and media.get("medium", "image") == "image":
            return text(media.get("url"))
    for link in entry.get("enclosures", []) or []:
        if text(link.get("type")).startswith("image/") and text(link.get("href")):
            return text(link.get("href"))
    return None


def _article(
    entry: Any, outlet: str, icon: str | None, hint: CategoryName | None
) -> RawArticle | None:
    published = _time(entry)
    if not text(entry.get("link")) or not text(entry.get("title")) or published is None:
        log.debug("rss: entry skipped (no link, title or date)")
        return None
    tags = [text(t.get("term")) for t in entry.get("tags", []) or []]
    return RawArticle(
        title=text(entry.get("title")),
        url=text(entry.get("link")),
        snippet=text(entry.get("summary")),
        source=NAME,
        source_name=outlet,
        published_at=published,
        thumbnail_url=_image(entry),
        source_icon_url=icon,
        keywords=tuple(t for t in tags if t),
        category_hint=hint,
    )
