"""Offline adapters of the public-data ports: small, fixed, plausible data, no network.

They stand in until the places domain's adapters (Kakao Local, MOIS, KECO, KMA) land, and
stay as the embedded mode's sources. Distances are real (haversine from the user's point);
without a point, places are listed from Seoul City Hall. The data is illustrative, and the
answers say where the real figures are kept.
"""

from __future__ import annotations

import math
from typing import Any

from functions.chat.ports import Context

SEOUL_CITY_HALL = (37.5663, 126.9779)
SHOPS: tuple[dict[str, Any], ...] = (
    {"name": "알맹상점 망원", "address": "서울 마포구 월드컵로 49",
     "lat": 37.5561, "lon": 126.9057},
    {"name": "지구샵 연남", "address": "서울 마포구 성미산로 155",
     "lat": 37.5636, "lon": 126.9234},
    {"name": "서울새활용플라자", "address": "서울 성동구 자동차시장1길 49",
     "lat": 37.5653, "lon": 127.0545},
)  # fmt: skip
BINS: tuple[dict[str, Any], ...] = (
    {"name": "시청역 폐건전지·폐형광등 수거함", "address": "서울 중구 세종대로 110",
     "lat": 37.5657, "lon": 126.9769, "accepts": ["폐건전지", "폐형광등"]},
    {"name": "명동 주민센터 폐의약품 수거함", "address": "서울 중구 명동길 43",
     "lat": 37.5636, "lon": 126.9857, "accepts": ["폐의약품"]},
    {"name": "회현동 의류수거함", "address": "서울 중구 소공로 35",
     "lat": 37.5597, "lon": 126.9781, "accepts": ["헌옷", "신발", "가방"]},
    {"name": "중구청 소형폐가전 수거함", "address": "서울 중구 창경궁로 17",
     "lat": 37.5641, "lon": 126.9975, "accepts": ["소형가전", "휴대폰"]},
)  # fmt: skip
BULK_FEES: tuple[tuple[str, int], ...] = (
    ("소파(3인용)", 15_000), ("침대(더블)", 12_000), ("매트리스(싱글)", 8_000),
    ("장롱(1m당)", 6_000), ("책상", 5_000), ("의자", 2_000),
)  # fmt: skip
PRICES: tuple[tuple[str, int], ...] = (
    ("폐지(신문지)", 120), ("폐지(골판지)", 80), ("고철", 350), ("알루미늄캔", 1_100),
    ("PET 압축품", 420), ("폐의류", 300),
)  # fmt: skip


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def distance_text(km: float) -> str:
    """The contract's style: "350m", "1.2km"."""
    return f"{round(km * 1000)}m" if km < 1 else f"{km:.1f}km"


def _nearest(rows: tuple[dict[str, Any], ...], lat: float, lon: float, n: int) -> list[Context]:
    found = []
    for row in rows:
        km = distance_km(lat, lon, row["lat"], row["lon"])
        entry = {k: v for k, v in row.items() if k not in ("lat", "lon")}
        found.append({**entry, "distance_km": round(km, 2), "distance_text": distance_text(km)})
    return sorted(found, key=lambda r: r["distance_km"])[:n]


class OfflinePlaces:
    async def near(self, latitude: float, longitude: float, text: str) -> Context | None:
        del text
        return {"places": _nearest(SHOPS, latitude, longitude, 3), "source": "offline"}


class OfflineCollectionPoints:
    async def near(
        self, latitude: float | None, longitude: float | None, text: str
    ) -> Context | None:
        if latitude is None or longitude is None:
            return None  # "the nearest bin" needs a point: the answer asks for it
        wanted = [b for b in BINS if any(a[:2] in text for a in b["accepts"])] or list(BINS)
        return {"points": _nearest(tuple(wanted), latitude, longitude, 3), "source": "offline"}


class OfflineBulkWaste:
    async def fees(
        self, text: str, latitude: float | None, longitude: float | None
    ) -> Context | None:
        del latitude, longitude
        named = [(i, f) for i, f in BULK_FEES if i[:2] in text] or list(BULK_FEES[:3])
        return {
            "district": "서울 중구 (예시)",
            "fees": [{"item": i, "fee_won": f} for i, f in named],
            "booking": "구청 누리집이나 주민센터에서 신고하고 스티커(필증)를 붙여 내놓아요.",
        }


class OfflinePrices:
    async def prices(self, text: str) -> Context | None:
        named = [(m, p) for m, p in PRICES if m[:2] in text] or list(PRICES)
        return {
            "region": "수도권 (예시)",
            "as_of": "최근 조사",
            "prices": [{"material": m, "won_per_kg": p} for m, p in named],
        }


class OfflineWeather:
    """A fixed mild day; the tip is the part that matters for disposal."""

    async def now(self, latitude: float | None, longitude: float | None) -> Context | None:
        region = (
            "서울" if latitude is None or longitude is None else f"{latitude:.2f}, {longitude:.2f}"
        )
        return {
            "region": region,
            "sky": "구름 조금",
            "temperature_c": 12,
            "precipitation": False,
            "tip": "비 소식은 없어요. 종이류는 접어서 젖지 않게 내놓으면 좋아요.",
        }


class OfflineWebSearch:
    """No web offline: says nothing, so the fallback chain moves on to the model alone."""

    async def search(self, text: str, model: str | None, job_id: str) -> Context | None:
        del text, model, job_id
        return None
