"""The cleaning rules and the keyset cursor of the news feed (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from functions.info.model import (
    InvalidCursorError,
    Position,
    RawArticle,
    decode_cursor,
    encode_cursor,
)
from functions.info.rules import canonical_url, categorize, clean, strip_html

KST = timezone(timedelta(hours=9))


def raw(**changes: object) -> RawArticle:
    base: dict[str, object] = dict(
        title="<b>분리배출</b> 제대로 하기",
        url="https://News.Example.com:443/a/1?utm_source=x",
        snippet="페트병 &amp; 캔",
        source="naver",
        source_name="",
        published_at=datetime(2026, 12, 1, 9, tzinfo=KST),
    )
    return RawArticle(**{**base, **changes})  # type: ignore[arg-type]


def test_canonical_url_drops_tracking_fragment_default_port_and_sorts_the_query() -> None:
    url = "HTTPS://Www.Hani.co.kr:443/arti/1.html?b=2&utm_source=naver&a=1&fbclid=x&gclid=y#top"
    assert canonical_url(url) == "https://www.hani.co.kr/arti/1.html?a=1&b=2"
    assert canonical_url("http://e.com") == "http://e.com/"
    assert canonical_url("http://e.com:8080/x?stat_ref=1") == "http://e.com:8080/x"
    for bad in ("javascript:alert(1)", "ftp://e.com/x", "/relative", ""):
        with pytest.raises(ValueError):
            canonical_url(bad)


def test_html_is_stripped_entities_decoded_and_scripts_dropped() -> None:
    assert strip_html("<b>기후</b>&nbsp;위기 &quot;대응&quot;") == '기후 위기 "대응"'
    assert strip_html("a<script>alert(1)</script>b<style>x{}</style>") == "ab"
    assert strip_html("x" * 20, limit=10) == "x" * 9 + "…"


def test_categories_by_keyword_with_word_boundaries_for_latin_terms() -> None:
    assert categorize("생성형 AI 규제", "", None)[0] == "ai"
    assert categorize("태양광 발전소 전력 공급", "", None)[0] == "energy"
    assert categorize("플라스틱 재활용률", "", None)[0] == "environment"
    assert categorize("He said the email was fine", "", "energy") == ("energy", [])
    assert categorize("오늘의 날씨", "", None) == ("environment", [])
    category, hits = categorize("태양광과 풍력 재생에너지", "재활용", None)
    assert category == "energy" and "태양광" in hits


def test_clean_gives_one_id_per_canonical_url_and_plain_text() -> None:
    a = clean(raw())
    b = clean(raw(url="https://news.example.com/a/1?fbclid=abc", source="rss"))
    assert a.id == b.id and a.url == "https://news.example.com/a/1"
    assert (a.title, a.snippet) == ("분리배출 제대로 하기", "페트병 & 캔")
    assert a.published_at == datetime(2026, 12, 1, 0, tzinfo=UTC)
    assert a.source_name == "news.example.com"  # no outlet name: the host
    assert a.category == "environment" and "분리배출" in a.keywords


def test_clean_refuses_links_that_are_not_http_and_drops_unsafe_media_links() -> None:
    with pytest.raises(ValueError):
        clean(raw(url="javascript:alert(1)"))
    with pytest.raises(ValueError):
        clean(raw(title="<b></b>"))
    article = clean(raw(thumbnail_url="javascript:x", video_url="data:text/html,x"))
    assert article.thumbnail_url is None and article.video_url is None


def test_cursor_round_trips_to_the_microsecond() -> None:
    position = Position(
        datetime(2026, 12, 3, 1, 2, 3, 456789, tzinfo=UTC), "0b5e7d52-3c1f-4a8e-9d2b-6a4f1c7e9b30"
    )
    assert decode_cursor(encode_cursor(position)) == position
    kst = Position(position.published_at.astimezone(KST), position.id)
    assert decode_cursor(encode_cursor(kst)) == position


@pytest.mark.parametrize(
    "cursor",
    [
        "x",
        "!!!",
        "bnVsbA",
        encode_cursor(Position(datetime.now(UTC), "a"))[:-3] + "AAA",
        "WyJ4IiwiMGI1ZTdkNTItM2MxZi00YThlLTlkMmItNmE0ZjFjN2U5YjMwIl0",
        "WzEsMl0",
        "W3RydWUsIjBiNWU3ZDUyLTNjMWYtNGE4ZS05ZDJiLTZhNGYxYzdlOWIzMCJd",
    ],
)
def test_a_cursor_not_handed_out_is_invalid(cursor: str) -> None:
    with pytest.raises(InvalidCursorError) as caught:
        decode_cursor(cursor)
    assert caught.value.code == "INVALID_CURSOR"
