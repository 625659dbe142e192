"""The places domain's pure rules: zoom → radius, distance text, categories, opening hours."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from functions.location.hours import SEOUL, OpenState, parse_weekly, state_at
from functions.location.loaders.categories import pickup_categories_of, store_category_of
from functions.location.model import (
    ZOOM_RADIUS_M,
    Hours,
    UnknownCategoryError,
    distance_text,
    great_circle_m,
    parse_categories,
    radius_for,
)

MONDAY = datetime(2026, 1, 5, tzinfo=SEOUL)
OFFICE = Hours(days={d: ("09:00", "18:00") for d in range(5)})


def at(day: int, clock: str) -> datetime:
    hour, minute = (int(x) for x in clock.split(":"))
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def test_the_zoom_table_runs_from_80_km_to_100_m_shrinking_every_level() -> None:
    assert sorted(ZOOM_RADIUS_M) == list(range(1, 21))
    assert (ZOOM_RADIUS_M[1], ZOOM_RADIUS_M[20]) == (80_000, 100)
    radii = [ZOOM_RADIUS_M[z] for z in range(1, 21)]
    assert all(a > b for a, b in itertools.pairwise(radii))
    assert radius_for(None, 1) == 80_000 and radius_for(250.0, 1) == 250.0
    assert radius_for(None, None) == ZOOM_RADIUS_M[14]


@pytest.mark.parametrize(
    ("metres", "text"),
    [(0, "0m"), (349.6, "350m"), (999.4, "999m"), (999.6, "1.0km"), (1234, "1.2km"),
     (15_049, "15.0km")],
)  # fmt: skip
def test_distance_text(metres: float, text: str) -> None:
    assert distance_text(metres) == text


def test_great_circle_city_hall_to_gangnam_station() -> None:
    assert great_circle_m(37.5665, 126.9780, 37.4979, 127.0276) == pytest.approx(8_790, rel=0.005)


def test_categories_comma_lists_all_and_unknown_names() -> None:
    allowed = ("a", "b", "c")
    assert parse_categories(None, allowed, "x") is None
    assert parse_categories("all", allowed, "x") is None
    assert parse_categories(" a, c ,", allowed, "x") == frozenset({"a", "c"})
    with pytest.raises(UnknownCategoryError, match="'zz'"):
        parse_categories("a,zz", allowed, "x")
    with pytest.raises(UnknownCategoryError):
        parse_categories(",", allowed, "x")


def test_office_hours_in_seoul_whatever_the_callers_zone() -> None:
    assert state_at(OFFICE, at(0, "10:00")) == OpenState(True, False, "09:00", "18:00")
    assert state_at(OFFICE, at(0, "18:00")).is_open is False
    assert state_at(OFFICE, at(0, "08:59")).is_open is False
    assert state_at(OFFICE, at(6, "12:00")) == OpenState(False, True, None, None)  # Sunday
    utc = at(0, "10:00").astimezone(UTC)  # 01:00 UTC is 10:00 in Seoul
    assert state_at(OFFICE, utc).is_open is True


def test_an_evening_past_midnight_and_unknown_or_round_the_clock_hours() -> None:
    bar = Hours(days={4: ("18:00", "02:00")})  # Friday night only
    assert state_at(bar, at(4, "23:30")).is_open is True
    saturday = state_at(bar, at(5, "01:30"))
    assert saturday.is_open is True and saturday.is_holiday is False  # Friday's night goes on
    assert state_at(bar, at(5, "02:00")) == OpenState(False, True, None, None)
    assert state_at(None, at(0, "12:00")) == OpenState(None, False, None, None)
    assert state_at(Hours(always=True), at(6, "03:00")) == OpenState(True, False, "00:00", "24:00")


def test_weekly_hours_as_public_files_write_them() -> None:
    assert parse_weekly("24시간") == Hours(always=True)
    assert parse_weekly("평일 09:00~18:00") == OFFICE
    parsed = parse_weekly("월-금 9:00-18:00, 토 10:00~14:00")
    assert parsed == Hours(days={**OFFICE.days, 5: ("10:00", "14:00")})
    assert parse_weekly("금-월 10:00~20:00") == Hours(
        days={d: ("10:00", "20:00") for d in (4, 5, 6, 0)}
    )
    assert parse_weekly("가끔 엽니다") is None and parse_weekly("") is None
    assert parse_weekly("월 25:00~26:00") is None


def test_store_category_rules_first_match_wins() -> None:
    assert store_category_of("제로웨이스트 카페") == "refill_zero"
    assert store_category_of("초록 카페 시청점 카페") == "cafe_bakery"
    assert store_category_of("비건 식탁") == "vegan_dining"
    assert store_category_of("업사이클 공방") == "upcycle_recycle"
    assert store_category_of("책방 오늘") == "book_workshop"
    assert store_category_of("무포장 마켓") == "refill_zero"
    assert store_category_of("동네 마트") == "market_mart"
    assert store_category_of("초록 게스트하우스") == "lodging"
    assert store_category_of("이름 없는 곳") == "general"


def test_pickup_category_rules() -> None:
    assert pickup_categories_of("투명 페트병, 캔") == ("clear_pet", "can")
    assert pickup_categories_of("유색 PET, 종이팩") == ("colored_pet", "paper")
    assert pickup_categories_of("폐건전지,폐형광등") == ("electronics",)
    assert pickup_categories_of("헌옷, 유리병, 병뚜껑, 기타") == (
        "plastic", "glass", "textile", "general",
    )  # fmt: skip
    assert pickup_categories_of(None) == () and pickup_categories_of("") == ()
