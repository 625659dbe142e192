"""Sites in process memory: the embedded default, with the same answers as PostGIS.

Distances are great-circle (haversine) on the mean-radius sphere, which is what
`geography` distances on PostGIS's spheroid agree with to a fraction of a percent; a linear
scan is fine for the few hundred sites an embedded map holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from functions.location.model import Found, NearQuery, NewSite, Site, great_circle_m
from functions.location.ports import UpsertReport


def _matches(site: NewSite, query: NearQuery) -> bool:
    if query.store_categories is not None and site.store_category not in query.store_categories:
        return False
    pickups = query.pickup_categories
    return pickups is None or not pickups.isdisjoint(site.pickup_categories)


def text_rank(site: NewSite, needle: str) -> tuple[int, int] | None:
    """(0 = in the name / 1 = in an address, extra characters) or None: the ordering both
    adapters use (PostgreSQL's is the same expression in SQL)."""
    name = site.name.casefold()
    if needle in name:
        return 0, len(name) - len(needle)
    address = f"{site.road_address or ''} {site.lot_address or ''}".casefold()
    if needle in address:
        return 1, len(address) - len(needle)
    return None


class MemorySiteRepository:
    def __init__(self) -> None:
        self._rows: dict[int, Site] = {}
        self._keys: dict[tuple[str, str], int] = {}
        self._next = 1

    async def nearest(self, query: NearQuery) -> list[Found]:
        found = []
        for site in self._rows.values():
            if not _matches(site.data, query):
                continue
            d = great_circle_m(
                query.latitude, query.longitude, site.data.latitude, site.data.longitude
            )
            if d <= query.radius_m:
                found.append(Found(site, d))
        found.sort(key=lambda f: (f.distance_m, f.site.id))
        return found[: query.limit]

    async def get(self, site_id: int) -> Site | None:
        return self._rows.get(site_id)

    async def text_search(self, text: str, limit: int) -> list[Site]:
        needle = text.strip().casefold()
        if not needle:
            return []
        ranked = []
        for site in self._rows.values():
            rank = text_rank(site.data, needle)
            if rank is not None:
                ranked.append((rank, site.id, site))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [site for _, _, site in ranked[:limit]]

    async def upsert(self, sites: Sequence[NewSite]) -> tuple[UpsertReport, list[int]]:
        inserted = updated = unchanged = 0
        latest = {(s.source, s.source_id): s for s in sites}  # a repeated key: its last version
        for key, site in latest.items():
            existing = self._keys.get(key)
            if existing is None:
                existing = self._next
                self._next += 1
                self._keys[key] = existing
                inserted += 1
            elif self._rows[existing].data == site:
                unchanged += 1
            else:
                updated += 1
            self._rows[existing] = Site(existing, site)
        return UpsertReport(inserted, updated, unchanged), [
            self._keys[(s.source, s.source_id)] for s in sites
        ]

    async def count(self) -> int:
        return len(self._rows)
