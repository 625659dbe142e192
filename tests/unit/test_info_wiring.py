"""Which sources the settings switch on, and how their lists are read."""

from __future__ import annotations

import pytest

from functions.info.functions import PROVIDERS
from functions.info.wiring import feeds, live_sources_configured, queries
from functions.kit.container import Container
from functions.kit.settings import Settings


def test_query_and_feed_lists() -> None:
    assert queries(" environment:분리배출, ai:인공지능 환경 ,") == [
        ("environment", "분리배출"),
        ("ai", "인공지능 환경"),
    ]
    assert feeds("energy@https://e.example/rss,https://u:p@x.example/feed") == [
        ("energy", "https://e.example/rss"),
        (None, "https://u:p@x.example/feed"),
    ]
    with pytest.raises(ValueError, match="sports"):
        queries("sports:야구")


async def test_no_key_means_the_sample_and_each_key_switches_its_source_on() -> None:
    async def names(settings: Settings) -> list[str]:
        container = Container(settings, {}, PROVIDERS)
        try:
            return (await container.get("info_ingest")).source_names
        finally:
            await container.close()

    offline = Settings(mode="embedded")
    assert not live_sources_configured(offline)
    assert await names(offline) == ["sample"]
    keyed = Settings(
        mode="embedded",
        info_naver_client_id="i",
        info_naver_client_secret="s",
        info_newsdata_api_key="k",
        info_rss_feeds="https://e.example/rss",
    )
    assert await names(keyed) == ["newsdata", "rss", "naver"]
    only_id = Settings(mode="embedded", info_naver_client_id="i")
    assert await names(only_id) == ["sample"]
