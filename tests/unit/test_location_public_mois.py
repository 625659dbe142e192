"""MOIS collection days and bulky-waste fees (bare arrays, numbers as strings), the offline
adapters, the price sheet, and the resilient source's cache TTL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from functions.location.public.errors import MalformedResponseError, ProviderRejectedError
from functions.location.public.mois import MoisWasteRules, won
from functions.location.public.offline import OfflinePlaceSearch, OfflineWasteRules, OfflineWeather
from functions.location.public.prices import FilePrices
from functions.location.public.resilient import Policy, Source, TTLCache
from tests.support.public_data_fakes import DATA_KEY, FakeMois, Raw

POLICY = Policy(timeout_s=0.3, retries=1, backoff_s=0.0)


def collection_row(sgg: str, zone: str) -> dict[str, str]:
    return {"CTPV_NM": "서울특별시", "SGG_NM": sgg, "MNG_ZONE_NM": zone, "EMSN_PLC": "집 앞",
            "LF_WST_EMSN_DOW": "일,화,목", "LF_WST_EMSN_BGNG_TM": "18:00",
            "LF_WST_EMSN_END_TM": "24:00", "LF_WST_EMSN_MTHD": "종량제봉투",
            "RCYCL_EMSN_DOW": "월,수,금", "RCYCL_EMSN_MTHD": "분리 배출",
            "UNCLLT_DAY": "토요일", "MNG_DEPT_TELNO": "02-0000-0000"}  # fmt: skip


def fee_row(sgg: str, item: str, fee: str) -> dict[str, str]:
    return {"CTPV_NM": "서울특별시", "SGG_NM": sgg, "LRG_WST_NM": item, "FEE_AMT": fee,
            "LRG_WST_CTGRY_NM": "가구류", "LRG_WST_STNDRD": "모든 규격"}  # fmt: skip


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def rules(url: str, client: httpx.AsyncClient, key: str = DATA_KEY) -> MoisWasteRules:
    return MoisWasteRules(Source("mois", client, POLICY), key, url)


async def test_collection_days_by_district_across_pages(client: httpx.AsyncClient) -> None:
    rows = [collection_row("중구", f"구역{n}") for n in range(600)]
    rows.insert(3, collection_row("강남구", "역삼1동"))  # the provider ignores the filter
    fake = FakeMois(collection_rows=rows)
    async with fake.running() as url:
        found = await rules(url, client).collection("중구", "서울특별시")
    assert len(found) == 600 and [q["pageNo"] for q in fake.seen] == ["1", "2"]
    first = found[0]
    assert first.schedules["생활쓰레기"].days == "일,화,목"
    assert first.schedules["생활쓰레기"].start == "18:00"
    assert first.schedules["재활용품"].method == "분리 배출"
    assert "음식물쓰레기" not in first.schedules and first.no_collection_day == "토요일"
    assert fake.seen[0]["SGG_NM"] == "중구" and fake.seen[0]["type"] == "json"


async def test_bulky_fees_numbers_as_strings(client: httpx.AsyncClient) -> None:
    fake = FakeMois(fee_rows=[fee_row("중구", "장롱", "15,000"), fee_row("중구", "책상", "5000"),
                              fee_row("강남구", "장롱", "9,000")])  # fmt: skip
    async with fake.running() as url:
        adapter = rules(url, client)
        fees = await adapter.bulky_fees("중구")
        wardrobes = await adapter.bulky_fees("중구", item="장롱")
    assert [(f.item, f.fee_won) for f in fees] == [("장롱", 15_000), ("책상", 5_000)]
    assert [f.fee_won for f in wardrobes] == [15_000]
    assert len(fake.seen) == 1  # the same page again came from the cache


async def test_refusals_and_malformed_rows(client: httpx.AsyncClient) -> None:
    fake = FakeMois(fee_rows=[fee_row("중구", "장롱", "무료?")])
    async with fake.running() as url:
        with pytest.raises(ProviderRejectedError) as caught:
            await rules(url, client, key="wrong").collection("중구")
        assert caught.value.provider_code == "30"
        with pytest.raises(MalformedResponseError):
            await rules(url, client).bulky_fees("중구")
        fake.script(Raw(200, {"response": {"header": {"resultCode": "00"},
                                           "body": {"items": {"item": 7}}}}))  # fmt: skip
        with pytest.raises(MalformedResponseError):
            await rules(url, client).collection("종로구")


def test_won_amounts() -> None:
    assert won("3,000") == 3000 and won("3000원") == 3000 and won(12000) == 12000
    with pytest.raises(MalformedResponseError):
        won("")


async def test_offline_adapters_answer_without_a_network() -> None:
    offline = OfflineWasteRules()
    (info,) = await offline.collection("중구", "서울특별시")
    assert info.schedules["음식물쓰레기"].days == "매일"
    assert [f.fee_won for f in await offline.bulky_fees("중구", item="장롱")] == [15_000]
    now = await OfflineWeather().current(37.5665, 126.9780)
    assert now.offline and (now.nx, now.ny) == (60, 127) and now.values == {}
    search = OfflinePlaceSearch()
    assert not search.available and await search.keyword("리필") == []


async def test_the_price_sheet_names_its_version_and_date() -> None:
    sheet = await FilePrices().prices(region="수도권", material="pet")
    assert sheet.version and sheet.surveyed_on <= date.today() and sheet.sample is True
    assert {p.material for p in sheet.prices} == {"PET(무색)", "PET(유색)"}
    assert all(p.region == "수도권" and p.won_per_kg > 0 for p in sheet.prices)


def test_the_cache_forgets_after_its_ttl_and_keeps_its_size() -> None:
    now = [0.0]
    cache = TTLCache(ttl_s=10, size=2, clock=lambda: now[0])
    cache.put("a", 1)
    now[0] = 9.9
    assert cache.get("a") == 1
    now[0] = 10.0
    assert cache.get("a") is None
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
