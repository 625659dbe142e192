"""Ports of the places domain: the sites store and Kakao's place search, as protocols.

The public-data ports the chat agent uses (weather, waste rules, prices) live beside their
clients in `functions/location/public/ports.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from functions.location.model import Found, NearQuery, NewSite, Site


@dataclass(frozen=True, slots=True)
class UpsertReport:
    """What an import did: a re-run of the same file reports everything unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class SiteRepository(Protocol):
    """Every site on the map, in one table keyed on (source, source_id)."""

    async def nearest(self, query: NearQuery) -> list[Found]:
        """Sites within `radius_m` of the point that match the filters, nearest first (ties
        by id), at most `limit`."""
        ...

    async def get(self, site_id: int) -> Site | None: ...

    async def text_search(self, text: str, limit: int) -> list[Site]:
        """Sites whose name or address contains `text` (Korean included), best match
        first: names before addresses, then closer spellings, then ids."""
        ...

    async def upsert(self, sites: Sequence[NewSite]) -> tuple[UpsertReport, list[int]]:
        """Insert new (source, source_id) keys, update changed rows, leave identical ones
        alone; returns the report and the ids of `sites`, in order. A key repeated within
        `sites` keeps its last version."""
        ...

    async def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class KakaoPlace:
    """One Kakao Local document, its strings already parsed."""

    id: str
    name: str
    latitude: float
    longitude: float
    address: str
    road_address: str
    phone: str
    place_url: str
    category_name: str
    category_group_code: str
    distance_m: float | None  # only when the search had a centre


class PlaceSearch(Protocol):
    """Kakao Local's keyword and category search (the offline adapter finds nothing)."""

    @property
    def available(self) -> bool:
        """Whether this searches anything (False: callers use our own table)."""
        ...

    async def keyword(
        self,
        query: str,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        radius_m: int | None = None,
        size: int = 15,
    ) -> list[KakaoPlace]: ...

    async def category(
        self, code: str, *, latitude: float, longitude: float, radius_m: int, size: int = 15
    ) -> list[KakaoPlace]: ...
