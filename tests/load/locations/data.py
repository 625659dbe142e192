"""The bench database: its own PostgreSQL database with PostGIS and earthdistance, the
location migrations, and N synthetic sites loaded with COPY (indexes built after the load)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from functions.kit.migrations import migrate
from functions.location.hours import to_document
from functions.location.loaders.synthetic import synthetic_sites

MIGRATIONS = [Path(__file__).resolve().parents[3] / "functions" / "location" / "migrations"]
COLUMNS = ("source", "source_id", "name", "latitude", "longitude", "store_category",
           "pickup_categories", "road_address", "opening_hours")  # fmt: skip
INDEXES = ("location_sites_geog_idx", "location_sites_name_trgm_idx",
           "location_sites_address_trgm_idx")  # fmt: skip
CHUNK = 50_000


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


async def create(admin_dsn: str) -> str:
    name = f"eco2_bench_places_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(admin_dsn, name)


async def drop(admin_dsn: str, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def cancel_queries(dsn: str) -> None:
    """End the queries a stopped server left running (a slow variant's queue)."""
    name = urlsplit(dsn).path.lstrip("/")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = $1 AND pid <> pg_backend_pid()", name)  # fmt: skip
    finally:
        await conn.close()


def _records(count: int) -> Iterator[tuple[object, ...]]:
    for s in synthetic_sites(count):
        hours = to_document(s.hours)
        yield (s.source, s.source_id, s.name, s.latitude, s.longitude, s.store_category,
               list(s.pickup_categories), s.road_address, json.dumps(hours))  # fmt: skip


async def load(dsn: str, count: int) -> dict[str, float]:
    """Migrate, COPY `count` sites, build the indexes; seconds each step took."""
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS postgis; "
                           "CREATE EXTENSION IF NOT EXISTS earthdistance CASCADE")  # fmt: skip
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:
            await migrate(pool, MIGRATIONS)
        finally:
            await pool.close()
        definitions = await conn.fetch(
            "SELECT indexdef FROM pg_indexes WHERE indexname = ANY($1::text[])", list(INDEXES)
        )
        for name in INDEXES:
            await conn.execute(f"DROP INDEX {name}")
        started = time.perf_counter()
        batch: list[tuple[object, ...]] = []
        for record in _records(count):
            batch.append(record)
            if len(batch) == CHUNK:
                await conn.copy_records_to_table("location_sites", records=batch, columns=COLUMNS)
                batch.clear()
        if batch:
            await conn.copy_records_to_table("location_sites", records=batch, columns=COLUMNS)
        timings["copy"] = time.perf_counter() - started
        started = time.perf_counter()
        for row in definitions:  # the map's GiST index (the trigram ones serve search only)
            if "gist" in row["indexdef"]:
                await conn.execute(row["indexdef"])
        await conn.execute("VACUUM ANALYZE location_sites")
        timings["GiST index + analyze"] = time.perf_counter() - started
    finally:
        await conn.close()
    return timings


async def versions(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        pg = await conn.fetchval("SHOW server_version")
        postgis = await conn.fetchval("SELECT extversion FROM pg_extension WHERE extname='postgis'")
    finally:
        await conn.close()
    return f"PostgreSQL {pg}, PostGIS {postgis}"
