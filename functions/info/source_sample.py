"""The offline source: the small SAMPLE feed shipped in `data/sample_feed.json`, so that the
embedded mode's INFO tab is not empty without API keys or the internet. Its articles say so:
titles start with "[샘플]", links are under example.com, the source is `sample`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from functions.info.model import RawArticle
from functions.info.ports import Permit

NAME = "sample"
DATA_FILE = Path(__file__).parent / "data" / "sample_feed.json"
BASE_URL = "https://example.com/eco2-sample/"


def sample_articles(now: datetime | None = None, path: Path = DATA_FILE) -> list[RawArticle]:
    document = json.loads(path.read_text(encoding="utf-8"))
    moment = now or datetime.now(UTC)
    return [
        RawArticle(
            title=entry["title"],
            url=BASE_URL + entry["slug"],
            snippet=entry["snippet"],
            source=NAME,
            source_name=document["source_name"],
            published_at=moment - timedelta(hours=entry["hours_ago"]),
            keywords=tuple(entry["keywords"]),
        )
        for entry in document["articles"]
    ]


class SampleSource:
    """Needs no permit: it reads a file that ships with the code."""

    name = NAME

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now

    async def fetch(self, permit: Permit) -> list[RawArticle]:
        del permit
        return sample_articles(self._now)
