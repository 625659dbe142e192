"""The chat's map and public-data sub-agents over the location domain's ports: the memory
sites with the shipped sample, the offline public-data adapters, and small fakes of a keyed
provider (a Kakao that finds or fails, a KMA observation)."""

from __future__ import annotations

from datetime import datetime

import pytest

from functions.chat import offline
from functions.chat.location_public import (
    KmaWeatherNow,
    MoisWasteRulesByDistrict,
    SheetPrices,
    district_of_address,
    district_words,
)
from functions.chat.location_sites import SiteCollectionPoints, SitePlaces
from functions.location.hours import SEOUL as SEOUL_TZ
from functions.location.loaders.importer import import_sample
from functions.location.memory_sites import MemorySiteRepository
from functions.location.ports import KakaoPlace
from functions.location.public.errors import ProviderUnavailableError
from functions.location.public.offline import OfflinePlaceSearch, OfflineWasteRules, OfflineWeather
from functions.location.public.ports import Forecast, Observation
from functions.location.public.prices import FilePrices

CITY_HALL = (37.5665, 126.978)
GANGNAM = (37.4955, 127.0335)  # 역삼1동: the sample's 강남구 sites
SEA = (35.0, 129.5)  # off Busan: no site within reach


@pytest.fixture
async def sites() -> MemorySiteRepository:
    repo = MemorySiteRepository()
    await import_sample(repo)
    return repo


class FoundKakao:
    """A keyed Kakao that finds one refill shop, or fails like a provider that is down."""

    available = True

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.queries: list[str] = []

    async def keyword(self, query: str, **around: object) -> list[KakaoPlace]:
        self.queries.append(query)
        if self.fail:
            raise ProviderUnavailableError("kakao", "503")
        return [KakaoPlace("9", "카카오 리필샵", 37.5668, 126.9785, "서울 중구 태평로1가 1",
                           "서울 중구 세종대로 99", "", "http://place.map.kakao.com/9",
                           "가정,생활 > 리필샵", "", 60.0)]  # fmt: skip

    async def category(self, code: str, **around: object) -> list[KakaoPlace]:
        return []


class RainyKma:
    async def current(self, latitude: float, longitude: float) -> Observation:
        base = datetime(2026, 1, 5, 15, tzinfo=SEOUL_TZ)
        return Observation(60, 127, base, {"T1H": "3.5", "PTY": "1"})

    async def forecast(self, latitude: float, longitude: float) -> Forecast:
        raise AssertionError("the chat asks for the current observation only")


async def test_collection_points_take_what_the_message_names(sites: MemorySiteRepository) -> None:
    points = SiteCollectionPoints(sites)
    batteries = await points.near(*CITY_HALL, "폐건전지 수거함 어디 있어?")
    assert batteries is not None and batteries["source"] == "sites"
    found = batteries["points"]
    assert [p["distance_km"] for p in found] == sorted(p["distance_km"] for p in found)
    assert found and all("폐건전지" in p["accepts"] for p in found)
    assert found[0]["name"].startswith("서울시청 서소문청사")
    assert found[0]["distance_text"] == "383m"
    clothes = await points.near(*CITY_HALL, "헌옷 버릴 곳")
    assert clothes is not None and all("헌옷" in p["accepts"] for p in clothes["points"])
    assert clothes["points"][0]["name"] == "시청역 4번 출구 앞 의류수거함"


async def test_collection_points_need_a_point_and_say_when_none_is_near(
    sites: MemorySiteRepository,
) -> None:
    points = SiteCollectionPoints(sites)
    assert await points.near(None, None, "폐건전지") is None
    far = await points.near(*SEA, "폐건전지")
    assert far is not None and far["points"] == []
    answer = offline.compose("폐건전지", {"collection_point": far}, [], located=True)
    assert "반경 2km 안에서는 찾지 못했어요" in answer


async def test_places_are_our_shops_and_kakaos_merged_nearest_first(
    sites: MemorySiteRepository,
) -> None:
    ours = await SitePlaces(sites, OfflinePlaceSearch()).near(*CITY_HALL, "제로웨이스트 가게")
    assert ours is not None and ours["source"] == "sites"
    assert ours["places"][0]["name"] == "초록 카페 시청점"
    kakao = FoundKakao()
    both = await SitePlaces(sites, kakao).near(*CITY_HALL, "근처 제로웨이스트 가게")
    assert both is not None and both["source"] == "sites+kakao"
    assert [p["name"] for p in both["places"]][:2] == ["카카오 리필샵", "초록 카페 시청점"]
    assert kakao.queries == ["제로웨이스트"]


async def test_a_failing_kakao_leaves_our_sites(sites: MemorySiteRepository) -> None:
    found = await SitePlaces(sites, FoundKakao(fail=True)).near(*CITY_HALL, "리필 가게")
    assert found is not None and found["source"] == "sites" and found["places"]


async def test_weather_is_unknown_offline_and_reads_kmas_observation() -> None:
    unknown = await KmaWeatherNow(OfflineWeather()).now(None, None)
    assert unknown is not None and (unknown["region"], unknown["available"]) == ("서울", False)
    rainy = await KmaWeatherNow(RainyKma()).now(*CITY_HALL)
    assert rainy is not None and (rainy["temperature_c"], rainy["precipitation"]) == (3.5, "비")
    assert "그친 뒤" in rainy["tip"]
    assert "비, 3.5°C" in offline.compose("날씨", {"weather": rainy}, [])


def test_districts_named_in_a_message_and_in_an_address() -> None:
    assert district_words("강남구 소파 버리려면?") == ["강남구"]
    assert district_words("중구에서 장롱은?") == ["중구"]
    assert district_words("가구 버리는 법, 전구는?") == []
    assert district_of_address("서울특별시 중구 서소문로 124") == ("서울특별시", "중구")
    assert district_of_address("경기 성남시 분당구 정자동 1") == ("경기", "성남시 분당구")
    assert district_of_address("세종대로 110") is None


async def test_waste_rules_by_the_district_named_or_the_users_point(
    sites: MemorySiteRepository,
) -> None:
    rules = MoisWasteRulesByDistrict(OfflineWasteRules(), sites, sample=True)
    named = await rules.fees("중구에서 장롱 버리려면?", None, None)
    assert named is not None and named["district"] == "서울특별시 중구"
    assert named["fees"] == [{"item": "장롱", "size": "폭 120cm 이상", "fee_won": 15_000}]
    assert named["schedule"]["재활용품"]["days"] == "월,수,금" and named["sample"] is True
    located = await rules.fees("소파 버리려면 어떻게 해?", *GANGNAM)
    assert located is not None and located["district"] == "서울특별시 강남구"
    assert [f["item"] for f in located["fees"]] == ["소파"]
    unknown = await rules.fees("소파 버리려면 어떻게 해?", None, None)
    assert unknown is not None and unknown["district"] is None
    assert "어느 구·군인지" in offline.compose("소파", {"bulk_waste": unknown}, [])


async def test_prices_for_the_region_and_material_named() -> None:
    prices = SheetPrices(FilePrices())
    scrap = await prices.prices("고철 시세 알려줘")
    assert scrap is not None and (scrap["region"], scrap["region_assumed"]) == ("수도권", True)
    assert [p["material"] for p in scrap["prices"]] == ["고철"] and scrap["sample"] is True
    busan = await prices.prices("부산 페트 시세")
    assert busan is not None and busan["region"] == "영남권"
    assert {p["material"] for p in busan["prices"]} == {"PET(무색)", "PET(유색)"}
    everything = await prices.prices("재활용품 시세")
    assert everything is not None and len(everything["prices"]) > 5
