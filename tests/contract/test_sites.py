"""The sites repository contract, on memory (great-circle) and on PostgreSQL + PostGIS."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from functions.kit.migrations import migrate
from functions.location.loaders.importer import SAMPLE_FILES, import_bytes, import_sample
from functions.location.memory_sites import MemorySiteRepository
from functions.location.model import Hours, NearQuery, NewSite, great_circle_m
from functions.location.ports import SiteRepository, UpsertReport
from functions.location.postgres_sites import PostgresSiteRepository

MIGRATIONS = [Path("functions/location/migrations")]
CITY_HALL = (37.5665, 126.9780)


@pytest.fixture
async def postgres_repo(pg_dsn: str) -> AsyncIterator[SiteRepository]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    try:
        await migrate(pool, MIGRATIONS)
        yield PostgresSiteRepository(pool)
    finally:
        await pool.close()


@pytest.fixture
def memory_repo() -> SiteRepository:
    return MemorySiteRepository()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def repo(request: pytest.FixtureRequest) -> SiteRepository:
    found: SiteRepository = request.getfixturevalue(f"{request.param}_repo")
    return found


def site(key: str, lat: float, lon: float, **kw: object) -> NewSite:
    return NewSite(source=str(kw.pop("source", "zerowaste")), source_id=key,
                   name=str(kw.pop("name", f"가게 {key}")), latitude=lat, longitude=lon,
                   **kw)  # type: ignore[arg-type]  # fmt: skip


def east_of_city_hall(metres: float) -> tuple[float, float]:
    """A point `metres` due east of City Hall (on the sphere, to well under a metre here)."""
    lat, lon = CITY_HALL
    return lat, lon + metres / (111_194.9 * math.cos(math.radians(lat)))


async def test_nearest_first_within_the_radius_with_great_circle_distances(
    repo: SiteRepository,
) -> None:
    points = {k: east_of_city_hall(m) for k, m in (("a", 900), ("b", 300), ("c", 1600))}
    await repo.upsert([site(k, *p) for k, p in points.items()])
    found = await repo.nearest(NearQuery(*CITY_HALL, radius_m=1000))
    assert [f.site.data.source_id for f in found] == ["b", "a"]
    for f in found:
        expected = great_circle_m(*CITY_HALL, f.site.data.latitude, f.site.data.longitude)
        assert f.distance_m == pytest.approx(expected, rel=1e-4)
    assert found[0].distance_m == pytest.approx(300, abs=3)
    wide = await repo.nearest(NearQuery(*CITY_HALL, radius_m=2000, limit=2))
    assert [f.site.data.source_id for f in wide] == ["b", "a"]  # the limit keeps the nearest


async def test_category_filters_any_of_the_listed(repo: SiteRepository) -> None:
    lat, lon = east_of_city_hall(100)
    await repo.upsert([
        site("box", lat, lon, store_category="public_dropbox", pickup_categories=("electronics",)),
        site("cafe", lat, lon + 0.001, store_category="cafe_bakery", pickup_categories=("paper",
             "clear_pet")),
        site("refill", lat, lon + 0.002, store_category="refill_zero"),
    ])  # fmt: skip

    async def keys(**kw: object) -> list[str]:
        found = await repo.nearest(NearQuery(*CITY_HALL, radius_m=5000, **kw))  # type: ignore[arg-type]
        return [f.site.data.source_id for f in found]

    assert await keys() == ["box", "cafe", "refill"]
    stores = frozenset({"cafe_bakery", "refill_zero"})
    assert await keys(store_categories=stores) == ["cafe", "refill"]
    assert await keys(pickup_categories=frozenset({"clear_pet", "electronics"})) == ["box", "cafe"]
    assert await keys(pickup_categories=frozenset({"glass"})) == []


async def test_a_site_round_trips_with_its_hours_and_an_empty_pickup_list(
    repo: SiteRepository,
) -> None:
    hours = Hours(days={0: ("09:00", "18:00"), 5: ("10:00", "14:00")})
    data = site("x", *CITY_HALL, hours=hours, road_address="서울 중구 세종대로 110",
                phone="02-120", kakao_place_id="123")  # fmt: skip
    _, (sid,) = await repo.upsert([data])
    got = await repo.get(sid)
    assert got is not None and got.data == data and got.data.pickup_categories == ()
    assert await repo.get(sid + 1000) is None
    _, (always,) = await repo.upsert([site("y", *CITY_HALL, hours=Hours(always=True))])
    stored = await repo.get(always)
    assert stored is not None and stored.data.hours == Hours(always=True)


async def test_upsert_is_keyed_on_source_and_source_id(repo: SiteRepository) -> None:
    first = [site("1", *CITY_HALL), site("2", *east_of_city_hall(50))]
    report, ids = await repo.upsert(first)
    assert report == UpsertReport(inserted=2)
    again, same_ids = await repo.upsert(first)
    assert again == UpsertReport(unchanged=2) and same_ids == ids
    moved = replace(first[1], name="새 이름")
    other_source = replace(first[0], source="keco")
    changed, ids2 = await repo.upsert([first[0], moved, other_source])
    assert changed == UpsertReport(inserted=1, updated=1, unchanged=1)
    assert ids2[:2] == ids and ids2[2] not in ids
    assert await repo.count() == 3
    twice, dup_ids = await repo.upsert([replace(moved, name="a"), replace(moved, name="b")])
    assert twice == UpsertReport(updated=1) and dup_ids[0] == dup_ids[1] == ids[1]
    stored = await repo.get(ids[1])
    assert stored is not None and stored.data.name == "b"  # a repeated key: the last wins


async def test_text_search_finds_korean_in_names_before_addresses(repo: SiteRepository) -> None:
    await repo.upsert([
        site("1", *CITY_HALL, name="역삼1동 주민센터 수거함"),
        site("2", *CITY_HALL, name="리필 가게", road_address="서울 강남구 역삼동 1"),
        site("3", *CITY_HALL, name="역삼 주민센터"),
        site("4", *CITY_HALL, name="100% 리필"),
    ])  # fmt: skip
    found = [s.data.source_id for s in await repo.text_search("역삼", 10)]
    assert found == ["3", "1", "2"]  # names (shorter first), then the address match
    assert [s.data.source_id for s in await repo.text_search("주민센터", 1)] == ["3"]
    assert [s.data.source_id for s in await repo.text_search("%", 10)] == ["4"]  # literal
    assert await repo.text_search("없는말", 10) == []
    assert await repo.text_search("  ", 10) == []


async def test_importing_the_sample_twice_changes_nothing(repo: SiteRepository) -> None:
    first = await import_sample(repo)
    assert all(i.report.inserted > 0 and not i.rejected for i in first)
    total = await repo.count()
    second = await import_sample(repo)
    assert [i.report for i in second] == [UpsertReport(unchanged=i.report.inserted) for i in first]
    assert await repo.count() == total


async def test_a_malformed_row_is_reported_not_loaded(repo: SiteRepository) -> None:
    raw = SAMPLE_FILES["clothing"].read_text(encoding="utf-8")
    raw += "BAD-1,바다 한가운데,,,0,0,\nBAD-2,숫자 아님,,,북위,동경,\n"
    imported = await import_bytes(repo, "clothing", raw.encode())
    assert [(r.row, r.key) for r in imported.rejected] == [(9, "BAD-1"), (10, "BAD-2")]
    assert imported.report.inserted == 8
    names = [s.data.name for s in await repo.text_search("바다 한가운데", 5)]
    assert names == []
