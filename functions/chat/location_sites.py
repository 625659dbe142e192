"""The map's sub-agents over the location domain's ports, in process: collection points and
zero-waste places from the sites store (PostGIS in real mode, memory with the shipped sample
embedded), Kakao Local's keyword search added where a key is configured.

What the domain answers (`Found` sites, `KakaoPlace`s) becomes the chat's context here: the
entries the answer lists, nearest first, with the contract's distance text. Without a point
there is nothing "near": the sub-agent says nothing and the answer asks for the location.
"""

from __future__ import annotations

import logging

from functions.chat.ports import Context
from functions.location.loaders.categories import pickup_categories_of
from functions.location.model import STORE_CATEGORIES, Found, NearQuery, distance_text
from functions.location.ports import KakaoPlace, PlaceSearch, SiteRepository
from functions.location.public.errors import PublicDataError
from functions.location.services import COLLECTION_PICKUPS, collection_points

log = logging.getLogger(__name__)
SHOWN = 3  # entries an answer lists
COLLECTION_RADIUS_M = 2_000
PLACES_RADIUS_M = 3_000
DROPBOX = "public_dropbox"
SHOPS = frozenset(STORE_CATEGORIES) - {DROPBOX, "general"}


def entry(found: Found) -> Context:
    site = found.site.data
    items = (site.collection_items or "").replace("·", ",").split(",")
    return {
        "id": found.site.id,
        "name": site.name,
        "address": site.road_address or site.lot_address or "",
        "distance_km": round(found.distance_m / 1000, 2),
        "distance_text": distance_text(found.distance_m),
        "accepts": [i.strip() for i in items if i.strip()],
    }


def kakao_entry(place: KakaoPlace) -> Context:
    meters = place.distance_m or 0.0
    return {
        "name": place.name,
        "address": place.road_address or place.address,
        "distance_km": round(meters / 1000, 2),
        "distance_text": distance_text(meters),
        "url": place.place_url or None,
    }


class SiteCollectionPoints:
    """Battery/lamp boxes and clothing bins near the user (`CollectionPoints`): those that take
    what the message names (건전지 → electronics, 헌옷 → textile), else both kinds."""

    def __init__(self, sites: SiteRepository, radius_m: float = COLLECTION_RADIUS_M) -> None:
        self._sites = sites
        self._radius_m = radius_m

    async def near(
        self, latitude: float | None, longitude: float | None, text: str
    ) -> Context | None:
        if latitude is None or longitude is None:
            return None  # "the nearest bin" needs a point: the answer asks for it
        named = frozenset(pickup_categories_of(text)) & COLLECTION_PICKUPS
        found = await collection_points(self._sites, latitude, longitude, self._radius_m,
                                        SHOWN, pickups=named or COLLECTION_PICKUPS)  # fmt: skip
        return {"points": [entry(f) for f in found], "radius_m": self._radius_m,
                "source": "sites"}  # fmt: skip


class SitePlaces:
    """Zero-waste shops and recycling places near the user (`Places`): our sites, and Kakao's
    keyword search around the point when it is configured (a Kakao failure leaves ours)."""

    def __init__(
        self, sites: SiteRepository, search: PlaceSearch, radius_m: int = PLACES_RADIUS_M
    ) -> None:
        self._sites = sites
        self._search = search
        self._radius_m = radius_m

    async def near(self, latitude: float, longitude: float, text: str) -> Context | None:
        query = NearQuery(latitude, longitude, self._radius_m, SHOPS, None, SHOWN)
        ours = [entry(f) for f in await self._sites.nearest(query)]
        theirs = [kakao_entry(p) for p in await self._kakao(latitude, longitude, text)]
        names = {e["name"] for e in ours}
        merged = ours + [e for e in theirs if e["name"] not in names]
        merged.sort(key=lambda e: e["distance_km"])
        source = "sites+kakao" if theirs else "sites"
        return {"places": merged[:SHOWN], "radius_m": self._radius_m, "source": source}

    async def _kakao(self, latitude: float, longitude: float, text: str) -> list[KakaoPlace]:
        if not self._search.available:
            return []
        words = "재활용센터" if "재활용" in text or "센터" in text else "제로웨이스트"
        try:
            return await self._search.keyword(words, latitude=latitude, longitude=longitude,
                                              radius_m=self._radius_m, size=SHOWN)  # fmt: skip
        except PublicDataError as exc:
            log.warning("chat places: Kakao failed, answering from our sites: %s", exc)
            return []
