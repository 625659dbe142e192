"""The places domain, pure: sites, the contract's categories, distances and the zoom table.

A site is anything the map shows: a KECO battery/lamp box, a clothing bin, a zero-waste shop,
a place Kakao found. Every one lives in one normalised table keyed on (source, source_id), so
a re-import finds the row it made last time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from functions.kit.errors import BadRequestError, Eco2Error, NotFoundError

SOURCES = ("keco", "zerowaste", "kakao")
STORE_CATEGORIES = (
    "refill_zero",
    "cafe_bakery",
    "vegan_dining",
    "upcycle_recycle",
    "book_workshop",
    "market_mart",
    "lodging",
    "public_dropbox",
    "general",
)
PICKUP_CATEGORIES = (
    "clear_pet",
    "colored_pet",
    "can",
    "paper",
    "plastic",
    "glass",
    "textile",
    "electronics",
    "general",
)
EARTH_RADIUS_M = 6_371_008.8  # the mean radius; PostGIS's sphere for geography is close
MAX_RESULTS = 100  # entries per map answer: the nearest ones
# Map level -> search radius (m) when `radius` is absent: geometric from level 1 (80 km, the
# whole metropolitan area) to 20 (100 m, a block), ~0.70x per level, two significant digits.
ZOOM_RADIUS_M: dict[int, int] = {
    1: 80_000, 2: 56_000, 3: 40_000, 4: 28_000, 5: 20_000, 6: 14_000, 7: 9_700, 8: 6_800,
    9: 4_800, 10: 3_400, 11: 2_400, 12: 1_700, 13: 1_200, 14: 830, 15: 580, 16: 410,
    17: 290, 18: 200, 19: 140, 20: 100,
}  # fmt: skip
DEFAULT_ZOOM = 14
MAX_RADIUS_M = 100_000
# Where a site may stand: the Republic of Korea's bounding box, islands included (Marado 33.1°N,
# Dokdo 131.9°E). A coordinate outside it is a swapped or broken one.
KOREA_LAT = (33.0, 38.7)
KOREA_LON = (124.5, 132.0)


class LocationError(Eco2Error):
    """Base of the places domain's errors."""


class UnknownCategoryError(LocationError, BadRequestError):
    code = "UNKNOWN_CATEGORY"


class SiteNotFoundError(LocationError, NotFoundError):
    code = "NOT_FOUND"


@dataclass(frozen=True, slots=True)
class Hours:
    """Weekly opening hours: weekday (0 = Monday) -> (start, end) as "HH:MM"; a weekday
    missing from `days` is a closed day. `always` is a box on the street, open around the
    clock."""

    days: dict[int, tuple[str, str]] = field(default_factory=dict)
    always: bool = False


@dataclass(frozen=True, slots=True)
class NewSite:
    """A site as a loader or a provider hands it over, before it has our id."""

    source: str
    source_id: str
    name: str
    latitude: float
    longitude: float
    store_category: str = "general"
    pickup_categories: tuple[str, ...] = ()
    road_address: str | None = None
    lot_address: str | None = None
    phone: str | None = None
    place_url: str | None = None
    kakao_place_id: str | None = None
    collection_items: str | None = None
    introduction: str | None = None
    hours: Hours | None = None  # None: not known


@dataclass(frozen=True, slots=True)
class Site:
    """A stored site: our stable integer id (the contract's) and its data."""

    id: int
    data: NewSite


@dataclass(frozen=True, slots=True)
class Found:
    """A site and how far it is from the point asked about."""

    site: Site
    distance_m: float


@dataclass(frozen=True, slots=True)
class NearQuery:
    latitude: float
    longitude: float
    radius_m: float
    store_categories: frozenset[str] | None = None  # None: all
    pickup_categories: frozenset[str] | None = None
    limit: int = MAX_RESULTS


def parse_categories(raw: str | None, allowed: Iterable[str], what: str) -> frozenset[str] | None:
    """A comma list from the query (`all` or nothing = no filter); an unknown name is a 400."""
    if raw is None or raw.strip() in ("", "all"):
        return None
    names = {part.strip() for part in raw.split(",") if part.strip()}
    known = set(allowed)
    unknown = sorted(names - known)
    if unknown or not names:
        raise UnknownCategoryError(f"unknown {what} {unknown}; known: {sorted(known)} or all")
    return frozenset(names)


def radius_for(radius: float | None, zoom: int | None) -> float:
    """The radius asked for, else the zoom level's (the default level's without either)."""
    if radius is not None:
        return radius
    return float(ZOOM_RADIUS_M[zoom if zoom is not None else DEFAULT_ZOOM])


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean-radius sphere (the in-memory adapter's metric)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distance_text(meters: float) -> str:
    """ "350m" under a kilometre, "1.2km" from there (what the PWA prints under a pin)."""
    if round(meters) < 1000:
        return f"{round(meters)}m"
    return f"{meters / 1000:.1f}km"


def in_korea(latitude: float, longitude: float) -> bool:
    return KOREA_LAT[0] <= latitude <= KOREA_LAT[1] and KOREA_LON[0] <= longitude <= KOREA_LON[1]
