"""`/api/v1/locations/*`: the PWA's map (the contract's Locations section, to the letter).

Entries are bare arrays, nearest first; ids are integers; `pickup_categories` is always a
list; `is_open`/`is_holiday`/`start_time`/`end_time` are computed for the moment of the
request in Asia/Seoul. A coordinate, radius or zoom out of range, or an unknown
category, is a 422 in the contract's `{"detail", "code"}` body.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from functions.kit.identity import current_user
from functions.kit.openapi import errors
from functions.kit.text import Text
from functions.location import services
from functions.location.hours import now_in_seoul, state_at
from functions.location.model import (
    MAX_RADIUS_M,
    PICKUP_CATEGORIES,
    STORE_CATEGORIES,
    Found,
    NearQuery,
    Site,
    distance_text,
    parse_categories,
    radius_for,
)
from functions.location.ports import PlaceSearch, SiteRepository

Latitude = Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False, description="WGS84")]
Longitude = Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False, description="WGS84")]
Radius = Annotated[
    float | None,
    Query(gt=0, le=MAX_RADIUS_M, allow_inf_nan=False, description="metres; default from zoom"),
]
Zoom = Annotated[int | None, Query(ge=1, le=20, description="map level: 1 ≈ 80 km … 20 ≈ 100 m")]


def _comma_list(names: tuple[str, ...]) -> str:
    """The query's grammar as a pattern, so the document (and a schema-driven client) knows
    which names exist: empty, `all`, or a comma list of known names."""
    one = "|".join(names)
    return rf"^ *(all|({one})( *, *({one}))*)? *$"


StoreCategories = Annotated[
    str | None,
    Query(pattern=_comma_list(STORE_CATEGORIES), max_length=300,
          description="comma list of store categories, or `all` (the default)"),
]  # fmt: skip
PickupCategories = Annotated[
    str | None,
    Query(pattern=_comma_list(PICKUP_CATEGORIES), max_length=300,
          description="comma list of pickup categories, or `all` (the default)"),
]  # fmt: skip
Keyword = Annotated[Text, Query(min_length=1, max_length=100)]


class Entry(BaseModel):
    id: int
    name: str
    source: str
    road_address: str | None
    latitude: float
    longitude: float
    distance_km: float
    distance_text: str
    store_category: str
    pickup_categories: list[str]
    is_holiday: bool
    is_open: bool | None
    start_time: str | None
    end_time: str | None
    phone: str | None
    place_url: str | None = None


def entry(found: Found, now: datetime) -> dict[str, Any]:
    """One `Entry` as plain JSON data: the map's hot path builds up to 100 per answer, and a
    dict costs a tenth of a model (the `Entry` model documents the shape)."""
    site = found.site.data
    state = state_at(site.hours, now)
    return {
        "id": found.site.id,
        "name": site.name,
        "source": site.source,
        "road_address": site.road_address or site.lot_address,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "distance_km": round(found.distance_m / 1000, 3),
        "distance_text": distance_text(found.distance_m),
        "store_category": site.store_category,
        "pickup_categories": list(site.pickup_categories),
        "is_holiday": state.is_holiday,
        "is_open": state.is_open,
        "start_time": state.start_time,
        "end_time": state.end_time,
        "phone": site.phone,
        "place_url": site.place_url,
    }


class Detail(BaseModel):
    id: int
    name: str
    source: str
    road_address: str | None
    lot_address: str | None
    latitude: float
    longitude: float
    store_category: str
    pickup_categories: list[str]
    phone: str | None
    place_url: str | None
    kakao_place_id: str | None
    collection_items: str | None
    introduction: str | None

    @classmethod
    def of(cls, site: Site) -> Detail:
        data = site.data
        return cls(
            id=site.id,
            pickup_categories=list(data.pickup_categories),
            **{
                k: getattr(data, k)
                for k in cls.model_fields
                if k not in ("id", "pickup_categories")
            },
        )


class SuggestionOut(BaseModel):
    place_name: str
    address: str
    latitude: float
    longitude: float
    place_url: str | None


def _entries(found: list[Found]) -> Response:
    """The bare array, encoded once (FastAPI would validate and encode it again)."""
    now = now_in_seoul()
    body = json.dumps([entry(f, now) for f in found], ensure_ascii=False, allow_nan=False)
    return Response(body.encode(), media_type="application/json")


def router(location_sites: SiteRepository, location_place_search: PlaceSearch) -> APIRouter:
    """Mounted at `/api/v1/locations` (the declaration's route_prefix). Behind the edge like
    every non-auth route: the map is for logged-in users (401 without the edge's identity)."""
    api = APIRouter(tags=["locations"], dependencies=[Depends(current_user)])

    @api.get("/centers", response_model=list[Entry], responses=errors(401, 503))
    async def centers(
        *,
        lat: Latitude,
        lon: Longitude,
        zoom: Zoom = None,
        radius: Radius = None,
        store_category: StoreCategories = None,
        pickup_category: PickupCategories = None,
    ) -> Response:
        query = NearQuery(
            latitude=lat,
            longitude=lon,
            radius_m=radius_for(radius, zoom),
            store_categories=parse_categories(store_category, STORE_CATEGORIES, "store_category"),
            pickup_categories=parse_categories(
                pickup_category, PICKUP_CATEGORIES, "pickup_category"
            ),
        )
        return _entries(await services.centers(location_sites, query))

    @api.get("/search", response_model=list[Entry], responses=errors(401, 503))
    async def search(q: Keyword, radius: Radius = 5000.0) -> Response:
        return _entries(
            await services.search(location_sites, location_place_search, q, radius or 5000.0)
        )

    @api.get("/suggest", response_model=list[SuggestionOut], responses=errors(401, 503))
    async def suggest(q: Keyword) -> list[SuggestionOut]:
        found = await services.suggest(location_sites, location_place_search, q)
        return [SuggestionOut.model_validate(s, from_attributes=True) for s in found]

    @api.get("/centers/{center_id}", response_model=Detail, responses=errors(401, 404, 503))
    async def center(center_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> Detail:
        return Detail.of(await services.detail(location_sites, center_id))

    return api
