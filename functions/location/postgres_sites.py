"""Sites in PostgreSQL + PostGIS (asyncpg).

Nearest-first is a KNN scan of the GiST index (`ORDER BY geog <-> point`) bounded by
`ST_DWithin`, so a query touches the few rows it returns whatever the table's size. Distances
are on the sphere (`use_spheroid => false`), the metric the in-memory adapter uses too, so
both adapters print the same `distance_text`. An import is one `INSERT … ON CONFLICT (source,
source_id) DO UPDATE … WHERE IS DISTINCT FROM` per batch: identical rows are not touched.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache
from typing import Any

from functions.kit.pg_outage import retry_on_outage
from functions.location.hours import from_document, to_document
from functions.location.model import Found, Hours, NearQuery, NewSite, Site
from functions.location.ports import UpsertReport

DATA_COLUMNS = (
    "source", "source_id", "name", "latitude", "longitude", "store_category",
    "pickup_categories", "road_address", "lot_address", "phone", "place_url", "kakao_place_id",
    "collection_items", "introduction", "opening_hours",
)  # fmt: skip
_SELECT = "id, " + ", ".join(DATA_COLUMNS)
_POINT = "ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography"
NEAREST = f"""
SELECT {_SELECT}, ST_Distance(geog, {_POINT}, false) AS distance_m
FROM location_sites
WHERE ST_DWithin(geog, {_POINT}, $3, false)
  AND ($4::text[] IS NULL OR store_category = ANY($4::text[]))
  AND ($5::text[] IS NULL OR pickup_categories && $5::text[])
ORDER BY geog <-> {_POINT}
LIMIT $6
"""
_ONE = f"SELECT {_SELECT} FROM location_sites WHERE id = $1"
_LIKE = "'%' || $1 || '%'"
_TEXT = f"""
SELECT {_SELECT} FROM location_sites
WHERE name ILIKE {_LIKE} ESCAPE '\\' OR search_address ILIKE {_LIKE} ESCAPE '\\'
ORDER BY CASE WHEN name ILIKE {_LIKE} ESCAPE '\\' THEN 0 ELSE 1 END,
         CASE WHEN name ILIKE {_LIKE} ESCAPE '\\' THEN char_length(name)
              ELSE char_length(search_address) END,
         id
LIMIT $2
"""
_TYPES = (
    "source text, source_id text, name text, latitude float8, longitude float8, "
    "store_category text, pickup_categories text[], road_address text, lot_address text, "
    "phone text, place_url text, kakao_place_id text, collection_items text, "
    "introduction text, opening_hours jsonb"
)
_COLS = ", ".join(DATA_COLUMNS)
_UPSERT = f"""
INSERT INTO location_sites AS s ({_COLS})
SELECT {_COLS} FROM jsonb_to_recordset($1::jsonb) AS r({_TYPES})
ON CONFLICT (source, source_id) DO UPDATE
SET {", ".join(f"{c} = EXCLUDED.{c}" for c in DATA_COLUMNS[2:])}, updated_at = now()
WHERE ({", ".join(f"s.{c}" for c in DATA_COLUMNS[2:])})
      IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in DATA_COLUMNS[2:])})
RETURNING (xmax = 0) AS inserted
"""
_IDS = """
SELECT s.id, s.source, s.source_id FROM location_sites s
JOIN unnest($1::text[], $2::text[]) AS k(source, source_id) USING (source, source_id)
"""
BATCH = 1_000


@lru_cache(maxsize=4096)
def _hours(document: str | None) -> Hours | None:
    """Opening hours from their JSON text; the same few schedules repeat across thousands of
    sites, so each text is parsed once (Hours is frozen)."""
    return None if document is None else from_document(json.loads(document))


def site_of(row: Any) -> Site:
    data = NewSite(
        **{c: row[c] for c in DATA_COLUMNS if c not in ("pickup_categories", "opening_hours")},
        pickup_categories=tuple(row["pickup_categories"] or ()),
        hours=_hours(row["opening_hours"]),
    )
    return Site(int(row["id"]), data)


def _record(site: NewSite) -> dict[str, Any]:
    record = asdict(site)
    record.pop("hours")
    record["pickup_categories"] = list(site.pickup_categories)
    record["opening_hours"] = to_document(site.hours)
    return record


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PostgresSiteRepository:
    def __init__(self, pool: Any, nearest_sql: str = NEAREST) -> None:
        self._pool = pool
        self._nearest = nearest_sql  # the benchmark swaps in the original's query
        # First come, first served for the map's queries: asyncpg's pool lets a newcomer take
        # a connection just released ahead of a waiter that was woken for it (that waiter
        # queues again at the back), so under load a few requests starve for seconds.
        # asyncio's Semaphore is FIFO and no wider than the pool, so acquire never waits.
        self._gate = asyncio.Semaphore(pool.get_max_size())

    async def nearest(self, query: NearQuery) -> list[Found]:
        stores = sorted(query.store_categories) if query.store_categories is not None else None
        pickups = sorted(query.pickup_categories) if query.pickup_categories is not None else None
        with retry_on_outage():
            async with self._gate:
                rows = await self._pool.fetch(
                    self._nearest, query.latitude, query.longitude, query.radius_m,
                    stores, pickups, query.limit,
                )  # fmt: skip
        found = [Found(site_of(r), float(r["distance_m"])) for r in rows]
        return sorted(found, key=lambda f: (f.distance_m, f.site.id))

    async def get(self, site_id: int) -> Site | None:
        with retry_on_outage():
            row = await self._pool.fetchrow(_ONE, site_id)
        return None if row is None else site_of(row)

    async def text_search(self, text: str, limit: int) -> list[Site]:
        needle = text.strip()
        if not needle:
            return []
        with retry_on_outage():
            rows = await self._pool.fetch(_TEXT, _escape_like(needle), limit)
        return [site_of(r) for r in rows]

    async def upsert(self, sites: Sequence[NewSite]) -> tuple[UpsertReport, list[int]]:
        latest = list({(s.source, s.source_id): s for s in sites}.values())
        inserted = updated = 0
        ids: dict[tuple[str, str], int] = {}
        with retry_on_outage():
            async with self._pool.acquire() as conn, conn.transaction():
                for start in range(0, len(latest), BATCH):
                    batch = latest[start : start + BATCH]
                    payload = json.dumps([_record(s) for s in batch], ensure_ascii=False)
                    for row in await conn.fetch(_UPSERT, payload):
                        inserted += row["inserted"]
                        updated += not row["inserted"]
                    keys = ([s.source for s in batch], [s.source_id for s in batch])
                    for row in await conn.fetch(_IDS, *keys):
                        ids[(row["source"], row["source_id"])] = int(row["id"])
        report = UpsertReport(inserted, updated, len(latest) - inserted - updated)
        return report, [ids[(s.source, s.source_id)] for s in sites]

    async def count(self) -> int:
        with retry_on_outage():
            found: int = await self._pool.fetchval("SELECT count(*) FROM location_sites")
        return found
