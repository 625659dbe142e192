"""Ports of the public data the chat agent's sub-agents need (domain.md): weather, household
and bulky-waste rules, recyclable prices. Kakao's place search is `location.ports.PlaceSearch`;
collection boxes are sites (`location.ports.SiteRepository`, pickup category electronics or
textile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Observation:
    """KMA 초단기실황 at a grid cell: category -> value as KMA sends it (T1H °C, RN1 mm,
    REH %, PTY code, WSD m/s, VEC deg, UUU/VVV m/s)."""

    nx: int
    ny: int
    base: datetime  # the observation's hour, Asia/Seoul
    values: dict[str, str]
    offline: bool = False

    @property
    def temperature_c(self) -> float | None:
        return _number(self.values.get("T1H"))

    @property
    def precipitation(self) -> str:
        """PTY in words: 없음, 비, 비/눈, 눈, 소나기, 빗방울, 빗방울눈날림, 눈날림."""
        return PRECIPITATION.get(self.values.get("PTY", ""), "알 수 없음")


@dataclass(frozen=True, slots=True)
class ForecastSlot:
    at: datetime  # Asia/Seoul
    values: dict[str, str]  # TMP, POP, PTY, SKY, PCP, REH, WSD, ...


@dataclass(frozen=True, slots=True)
class Forecast:
    nx: int
    ny: int
    base: datetime
    slots: list[ForecastSlot]
    offline: bool = False


PRECIPITATION = {
    "0": "없음", "1": "비", "2": "비/눈", "3": "눈", "4": "소나기",
    "5": "빗방울", "6": "빗방울눈날림", "7": "눈날림",
}  # fmt: skip


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Weather(Protocol):
    async def current(self, latitude: float, longitude: float) -> Observation: ...

    async def forecast(self, latitude: float, longitude: float) -> Forecast: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """When and how one kind of waste goes out: days as the district writes them ("월,수,금"),
    start/end times, the method."""

    days: str
    start: str | None
    end: str | None
    method: str | None


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    sido: str
    sigungu: str
    zone: str | None
    place: str | None
    schedules: dict[str, Schedule]  # 생활쓰레기 | 음식물쓰레기 | 재활용품 -> its schedule
    no_collection_day: str | None
    department: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class BulkyFee:
    sido: str
    sigungu: str
    item: str  # 품목, e.g. 장롱
    category: str | None  # 구분, e.g. 가구류
    size: str | None  # 규격, e.g. 높이 1m 이상
    fee_won: int


class WasteRules(Protocol):
    """MOIS household-waste collection info and bulky-waste fees, by 시군구."""

    async def collection(self, sigungu: str, sido: str | None = None) -> list[CollectionInfo]: ...

    async def bulky_fees(
        self, sigungu: str, sido: str | None = None, item: str | None = None
    ) -> list[BulkyFee]: ...


@dataclass(frozen=True, slots=True)
class Price:
    region: str
    material: str
    won_per_kg: int


@dataclass(frozen=True, slots=True)
class PriceSheet:
    version: str
    surveyed_on: date
    source: str
    sample: bool  # True: illustrative figures, not the published survey
    prices: list[Price] = field(default_factory=list)


class RecyclablePrices(Protocol):
    async def prices(
        self, region: str | None = None, material: str | None = None
    ) -> PriceSheet: ...
