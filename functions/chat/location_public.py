"""The public-data sub-agents over the location domain's ports, in process: KMA weather, MOIS
household-waste rules and bulky-waste fees by district, the recyclable price sheet (each the
real client where its key is configured, the offline one otherwise: `location/wiring.py`).

Their answers become the chat's contexts here. A provider's error is the node's failure (its
policy retries, then fails open: the answer says what is missing). Offline data says so: the
weather is "not known" rather than invented, sample rules and prices carry `sample: true`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from functions.chat.ports import Context
from functions.location.model import NearQuery
from functions.location.ports import SiteRepository
from functions.location.public.ports import BulkyFee, CollectionInfo, RecyclablePrices
from functions.location.public.ports import WasteRules as MoisRules
from functions.location.public.ports import Weather as KmaPort

SEOUL_CITY_HALL = (37.5663, 126.9779)  # where "the weather" is without a point
RAIN_TIP = "비나 눈이 와요. 종이류와 대형폐기물은 그친 뒤에 젖지 않게 내놓아 주세요."
DRY_TIP = "비 소식은 없어요. 종이류는 접어서 젖지 않게 내놓으면 좋아요."
UNKNOWN_TIP = "실시간 날씨는 지금 알 수 없어요. 비가 오면 종이류는 젖지 않게 내놓아 주세요."
BOOKING = "구청 누리집이나 주민센터에서 신고하고 스티커(필증)를 붙여 내놓아요."
DISTRICT_SEARCH_M = 5_000  # the nearest site's address names the user's district
FEES_SHOWN = 5
# Words ending like a district that are not one (가구 is furniture, 전구 a light bulb).
NOT_DISTRICTS = frozenset({"가구", "전구", "도구", "기구", "입구", "출구", "창구", "문구",
                           "공구", "완구", "요구", "연구", "친구", "우리구", "도시"})  # fmt: skip
_DISTRICT = re.compile(r"[가-힣]{1,6}(?:구|군|시)(?=$|[^가-힣]|에|의|은|는|에서|쪽)")
REGIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("서울", "경기", "인천", "수도권"), "수도권"),
    (("부산", "대구", "울산", "경남", "경북", "영남"), "영남권"),
    (("광주", "전남", "전북", "호남"), "호남권"),
    (("대전", "세종", "충남", "충북", "충청"), "충청권"),
    (("강원",), "강원권"),
    (("제주",), "제주권"),
)
DEFAULT_REGION = "수도권"
MATERIALS: tuple[tuple[str, str], ...] = (
    ("골판지", "골판지"), ("박스", "골판지"), ("신문", "신문지"), ("폐지", "폐지"),
    ("종이", "폐지"), ("페트", "PET"), ("pet", "PET"), ("고철", "고철"), ("알루미늄", "알루미늄"),
    ("캔", "캔"), ("유리", "유리병"), ("비닐", "PE"), ("플라스틱", "P"),
)  # fmt: skip


class KmaWeatherNow:
    """`Weather`: KMA's latest observation at the user's point (Seoul City Hall without one)."""

    def __init__(self, weather: KmaPort) -> None:
        self._weather = weather

    async def now(self, latitude: float | None, longitude: float | None) -> Context | None:
        if latitude is None or longitude is None:
            region, (latitude, longitude) = "서울", SEOUL_CITY_HALL
        else:
            region = f"{latitude:.2f}, {longitude:.2f}"
        seen = await self._weather.current(latitude, longitude)
        if seen.offline:
            return {"region": region, "available": False, "tip": UNKNOWN_TIP}
        rain = seen.precipitation not in ("없음", "알 수 없음")
        return {
            "region": region,
            "available": True,
            "observed_at": seen.base.isoformat(),
            "temperature_c": seen.temperature_c,
            "precipitation": seen.precipitation,
            "tip": RAIN_TIP if rain else DRY_TIP,
        }


def district_words(text: str) -> list[str]:
    """Districts a message names ("강남구 소파", "중구에서"), at most two, in order."""
    words = [w for w in _DISTRICT.findall(text) if w not in NOT_DISTRICTS]
    return list(dict.fromkeys(words))[:2]


def district_of_address(address: str) -> tuple[str, str] | None:
    """(시도, 시군구) from a Korean address: "서울특별시 중구 …", "경기 성남시 분당구 …"."""
    parts = address.split()
    if len(parts) < 2 or not parts[1].endswith(("구", "군", "시")):
        return None
    if parts[1].endswith("시") and len(parts) > 2 and parts[2].endswith("구"):
        return parts[0], f"{parts[1]} {parts[2]}"
    return parts[0], parts[1]


def _same_sido(rows: Sequence[CollectionInfo | BulkyFee], sido: str | None) -> str | None:
    """The 시도 to answer for: the user's when it has rows, else the first row's."""
    named = {r.sido for r in rows}
    mine = next((s for s in named if sido and s[:2] == sido[:2]), None)
    return mine or (rows[0].sido if rows else None)


class MoisWasteRulesByDistrict:
    """`BulkWaste`: a district's bulky-waste fees and its household-waste days (MOIS). The
    district is the one the message names, else the one of the nearest site to the point."""

    def __init__(self, rules: MoisRules, sites: SiteRepository, sample: bool) -> None:
        self._rules = rules
        self._sites = sites
        self._sample = sample

    async def fees(
        self, text: str, latitude: float | None, longitude: float | None
    ) -> Context | None:
        sido = None
        candidates = district_words(text)
        if latitude is not None and longitude is not None:
            located = await self._located(latitude, longitude)
            if located is not None:
                sido = located[0]
                candidates.append(located[1])
        for sigungu in dict.fromkeys(candidates):
            fees = await self._rules.bulky_fees(sigungu)
            days = await self._rules.collection(sigungu)
            if fees or days:
                return self._context(text, sigungu, sido, fees, days)
        return {"district": None, "fees": [], "booking": BOOKING, "sample": self._sample}

    async def _located(self, latitude: float, longitude: float) -> tuple[str, str] | None:
        near = await self._sites.nearest(NearQuery(latitude, longitude, DISTRICT_SEARCH_M,
                                                   limit=5))  # fmt: skip
        for found in near:
            site = found.site.data
            for address in (site.road_address, site.lot_address):
                district = district_of_address(address or "")
                if district is not None:
                    return district
        return None

    def _context(
        self, text: str, sigungu: str, sido: str | None,
        fees: list[BulkyFee], days: list[CollectionInfo],
    ) -> Context:  # fmt: skip
        chosen = _same_sido([*fees, *days], sido)
        fees = [f for f in fees if f.sido == chosen]
        named = [f for f in fees if f.item[:2] in text] or fees[:FEES_SHOWN]
        zone = next((d for d in days if d.sido == chosen), None)
        schedule = None
        if zone is not None:
            schedule = {kind: {"days": s.days, "start": s.start, "end": s.end, "method": s.method}
                        for kind, s in zone.schedules.items()}  # fmt: skip
        return {
            "district": f"{chosen} {sigungu}" if chosen else sigungu,
            "fees": [{"item": f.item, "size": f.size, "fee_won": f.fee_won} for f in named],
            "schedule": schedule,
            "no_collection_day": zone.no_collection_day if zone else None,
            "department": zone.department if zone else None,
            "phone": zone.phone if zone else None,
            "booking": BOOKING,
            "sample": self._sample,
        }


class SheetPrices:
    """`RecyclablePrices`: the price sheet's figures for the region and materials named (the
    capital region's when none is; every material when none is named)."""

    def __init__(self, prices: RecyclablePrices) -> None:
        self._prices = prices

    async def prices(self, text: str) -> Context | None:
        lowered = text.casefold()
        region = next((r for words, r in REGIONS if any(w in text for w in words)), None)
        sheet = await self._prices.prices(region or DEFAULT_REGION)
        wanted = {m.casefold() for word, m in MATERIALS if word in lowered}
        rows = [p for p in sheet.prices if any(w in p.material.casefold() for w in wanted)]
        return {
            "region": region or DEFAULT_REGION,
            "region_assumed": region is None,
            "as_of": sheet.surveyed_on.isoformat(),
            "version": sheet.version,
            "sample": sheet.sample,
            "prices": [{"material": p.material, "won_per_kg": p.won_per_kg}
                       for p in rows or sheet.prices],
        }  # fmt: skip
