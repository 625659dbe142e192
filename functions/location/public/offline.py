"""Offline adapters for the embedded default: no keys, no network, honest answers.

Place search finds nothing (callers then search our own sites); weather says it is offline
rather than inventing a sky; waste rules come from the shipped sample files, read through the
same parsers as the MOIS answers.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from functions.location.hours import SEOUL
from functions.location.ports import KakaoPlace
from functions.location.public import kma_grid, mois
from functions.location.public.datagokr import data_go_kr_items
from functions.location.public.ports import BulkyFee, CollectionInfo, Forecast, Observation

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sample"


class OfflinePlaceSearch:
    available = False

    async def keyword(
        self,
        query: str,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        radius_m: int | None = None,
        size: int = 15,
    ) -> list[KakaoPlace]:
        return []

    async def category(
        self, code: str, *, latitude: float, longitude: float, radius_m: int, size: int = 15
    ) -> list[KakaoPlace]:
        return []


class OfflineWeather:
    async def current(self, latitude: float, longitude: float) -> Observation:
        nx, ny = kma_grid.to_grid(latitude, longitude)
        return Observation(nx, ny, kma_grid.observation_base(datetime.now(SEOUL)), {}, True)

    async def forecast(self, latitude: float, longitude: float) -> Forecast:
        nx, ny = kma_grid.to_grid(latitude, longitude)
        return Forecast(nx, ny, kma_grid.forecast_base(datetime.now(SEOUL)), [], True)


def _rows(name: str) -> list[dict[str, object]]:
    raw = (SAMPLES / name).read_bytes()
    return data_go_kr_items(mois.PROVIDER, httpx.Response(200, content=raw))


class OfflineWasteRules:
    async def collection(self, sigungu: str, sido: str | None = None) -> list[CollectionInfo]:
        rows = _rows("mois_collection.sample.json")
        return [mois.collection_of(r) for r in rows if mois.same_district(r, sigungu, sido)]

    async def bulky_fees(
        self, sigungu: str, sido: str | None = None, item: str | None = None
    ) -> list[BulkyFee]:
        rows = _rows("mois_bulky_fees.sample.json")
        fees = [mois.fee_of(r) for r in rows if mois.same_district(r, sigungu, sido)]
        return [f for f in fees if item is None or item in f.item]
