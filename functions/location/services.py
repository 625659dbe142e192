"""Use cases of the places domain, shared by the HTTP routes and the chat agent's adapters.

Keyword search asks Kakao first, keeps the places it found (as `kakao` sites, so a pin's detail
works like any other) and adds our own sites around the first hit; without a Kakao key, or
while Kakao is failing, it searches our own table by name and address instead of failing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from functions.location.loaders.categories import store_category_of
from functions.location.model import (
    MAX_RESULTS,
    Found,
    NearQuery,
    NewSite,
    Site,
    SiteNotFoundError,
    great_circle_m,
)
from functions.location.ports import KakaoPlace, PlaceSearch, SiteRepository
from functions.location.public.errors import PublicDataError

log = logging.getLogger(__name__)
SUGGESTIONS = 10
TEXT_MATCHES = 50
SAME_PLACE_M = 50.0  # a Kakao hit this close to one of our sites with the same name is it


@dataclass(frozen=True, slots=True)
class Suggestion:
    place_name: str
    address: str
    latitude: float
    longitude: float
    place_url: str | None


async def centers(repo: SiteRepository, query: NearQuery) -> list[Found]:
    return await repo.nearest(query)


COLLECTION_PICKUPS = frozenset({"electronics", "textile"})


async def collection_points(
    repo: SiteRepository,
    latitude: float,
    longitude: float,
    radius_m: float = 2_000,
    limit: int = 10,
    *,
    pickups: frozenset[str] = COLLECTION_PICKUPS,
) -> list[Found]:
    """Battery/lamp boxes and clothing bins near a point (the chat's collection_point), or
    only the kinds in `pickups`."""
    query = NearQuery(latitude, longitude, radius_m, frozenset({"public_dropbox"}),
                      pickups, limit)  # fmt: skip
    return await repo.nearest(query)


async def detail(repo: SiteRepository, site_id: int) -> Site:
    site = await repo.get(site_id)
    if site is None:
        raise SiteNotFoundError(f"no place with id {site_id}")
    return site


def kakao_site(place: KakaoPlace) -> NewSite:
    return NewSite(
        source="kakao",
        source_id=place.id,
        name=place.name,
        latitude=place.latitude,
        longitude=place.longitude,
        store_category=store_category_of(f"{place.name} {place.category_name}"),
        road_address=place.road_address or None,
        lot_address=place.address or None,
        phone=place.phone or None,
        place_url=place.place_url or None,
        kakao_place_id=place.id,
    )


def _key(name: str) -> str:
    return re.sub(r"\s+", "", name).casefold()


def _merge(hits: list[Site], nearby: list[Found], lat: float, lon: float) -> list[Found]:
    """Our sites around the first hit plus Kakao's hits, each place once, nearest first."""
    ours = [f for f in nearby if f.site.data.source != "kakao"]
    kakao_ids = {f.site.data.kakao_place_id for f in ours if f.site.data.kakao_place_id}
    merged = {f.site.id: f for f in ours}
    for site in hits:
        d = great_circle_m(lat, lon, site.data.latitude, site.data.longitude)
        twin = any(
            _key(f.site.data.name) == _key(site.data.name)
            and great_circle_m(f.site.data.latitude, f.site.data.longitude,
                               site.data.latitude, site.data.longitude) <= SAME_PLACE_M
            for f in ours
        )  # fmt: skip
        if site.data.kakao_place_id not in kakao_ids and not twin:
            merged.setdefault(site.id, Found(site, d))
    return sorted(merged.values(), key=lambda f: (f.distance_m, f.site.id))[:MAX_RESULTS]


async def _kakao_hits(places: PlaceSearch, q: str, size: int) -> list[KakaoPlace] | None:
    """Kakao's answer, or None when there is no Kakao or it failed (then: our own table)."""
    if not places.available:
        return None
    try:
        return await places.keyword(q, size=size)
    except PublicDataError as exc:
        log.warning("Kakao keyword search failed, searching our own sites: %s", exc)
        return None


async def search(repo: SiteRepository, places: PlaceSearch, q: str, radius_m: float) -> list[Found]:
    hits = await _kakao_hits(places, q, 15)
    if hits:
        _, ids = await repo.upsert([kakao_site(h) for h in hits])
        stored = [Site(i, kakao_site(h)) for i, h in zip(ids, hits, strict=True)]
        lat, lon = hits[0].latitude, hits[0].longitude
        nearby = await repo.nearest(NearQuery(lat, lon, radius_m))
        return _merge(stored, nearby, lat, lon)
    return await _own_search(repo, q, radius_m)


async def _own_search(repo: SiteRepository, q: str, radius_m: float) -> list[Found]:
    """Name/address matches first (best first), then our other sites around the best one."""
    matches = await repo.text_search(q, TEXT_MATCHES)
    if not matches:
        return []
    lat, lon = matches[0].data.latitude, matches[0].data.longitude
    found = [Found(s, great_circle_m(lat, lon, s.data.latitude, s.data.longitude)) for s in matches]
    seen = {s.id for s in matches}
    nearby = await repo.nearest(NearQuery(lat, lon, radius_m))
    found.extend(f for f in nearby if f.site.id not in seen)
    return found[:MAX_RESULTS]


async def suggest(repo: SiteRepository, places: PlaceSearch, q: str) -> list[Suggestion]:
    hits = await _kakao_hits(places, q, SUGGESTIONS)
    if hits is not None:
        return [
            Suggestion(h.name, h.road_address or h.address, h.latitude, h.longitude,
                       h.place_url or None)
            for h in hits
        ]  # fmt: skip
    return [
        Suggestion(
            s.data.name,
            s.data.road_address or s.data.lot_address or "",
            s.data.latitude,
            s.data.longitude,
            s.data.place_url,
        )
        for s in await repo.text_search(q, SUGGESTIONS)
    ]
