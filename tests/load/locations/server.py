"""The location-api as deployed (`functions.kit.http_hosting:create_http_app` under uvicorn),
with the sites provider swapped for the variant under test. One server per variant.

    python -m tests.load.locations.server --variant postgis|earthdistance|seqscan \
        --port P [--workers N]      # ECO2_PG_DSN names the bench database

- `postgis`: the production adapter, untouched (KNN on the GiST index + ST_DWithin).
- `earthdistance`: the original's query: `earth_distance(ll_to_earth(...), ll_to_earth(lat,
  lon)) <= radius ORDER BY distance`, no index (the original had none).
- `seqscan`: the production query with index scans turned off for the pool's sessions, so
  PostgreSQL reads every row (the same SQL, no index).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import uvicorn

EARTH_SQL = """
SELECT id, source, source_id, name, latitude, longitude, store_category, pickup_categories,
       road_address, lot_address, phone, place_url, kakao_place_id, collection_items,
       introduction, opening_hours,
       earth_distance(ll_to_earth($1, $2), ll_to_earth(latitude, longitude)) AS distance_m
FROM location_sites
WHERE earth_distance(ll_to_earth($1, $2), ll_to_earth(latitude, longitude)) <= $3
  AND ($4::text[] IS NULL OR store_category = ANY($4::text[]))
  AND ($5::text[] IS NULL OR pickup_categories && $5::text[])
ORDER BY distance_m
LIMIT $6
"""
NO_INDEX = {"enable_indexscan": "off", "enable_bitmapscan": "off", "enable_indexonlyscan": "off"}


async def _earthdistance(container: Any) -> Any:
    from functions.location.postgres_sites import PostgresSiteRepository  # noqa: PLC0415

    return PostgresSiteRepository(await container.pg_pool(), nearest_sql=EARTH_SQL)


async def _seqscan(container: Any) -> Any:
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415

    from functions.location.postgres_sites import PostgresSiteRepository  # noqa: PLC0415

    settings = container.settings
    pool = await asyncpg.create_pool(
        settings.pg_dsn, min_size=1, max_size=settings.pg_pool_max, server_settings=NO_INDEX
    )
    container.on_close(pool.close)
    return PostgresSiteRepository(pool)


def create_app() -> Any:
    """uvicorn's factory in every worker: the deployed app, the variant's provider swapped in."""
    os.environ.update(ECO2_MODE="real", ECO2_FUNCTION="location-api", ECO2_DOMAIN="location")
    from functions.kit.http_hosting import create_http_app  # noqa: PLC0415
    from functions.location import functions  # noqa: PLC0415

    variant = os.environ["BENCH_VARIANT"]
    if variant == "earthdistance":
        functions.PROVIDERS["location_sites"] = _earthdistance
    elif variant == "seqscan":
        functions.PROVIDERS["location_sites"] = _seqscan
    return create_http_app()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=("postgis", "earthdistance", "seqscan"),
                        required=True)  # fmt: skip
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ["BENCH_VARIANT"] = args.variant
    uvicorn.run("tests.load.locations.server:create_app", factory=True, workers=args.workers,
                host="127.0.0.1", port=args.port, log_level="warning",
                http="functions.kit.guard:HttpProtocol", backlog=4096)  # fmt: skip


if __name__ == "__main__":
    main()
