"""`eco2 places …`: load public files into the sites table of the configured PostgreSQL.

    eco2 places import keco boxes.json        # KECO 폐형광등·폐건전지 수거함 (lat, lot = longitude)
    eco2 places import clothing bins.csv      # 의류수거함 CSV (UTF-8 or CP949)
    eco2 places import zerowaste shops.json   # zero-waste / refill shops
    eco2 places sample                        # the shipped SAMPLE files
    eco2 places synthetic --count 100000      # synthetic sites (benchmarks)

Every import is idempotent (keyed on source and source id): a second run reports its rows
unchanged. Rows with a bad coordinate are listed and skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from functions.location.loaders.formats import KINDS


def add_parser(commands: Any) -> None:
    places = commands.add_parser("places", help="load map sites into PostgreSQL (PostGIS)")
    places.add_argument("--dsn", help="PostgreSQL DSN (default: ECO2_PG_DSN)")
    actions = places.add_subparsers(dest="places_action", required=True)
    load = actions.add_parser("import", help="import one public file")
    load.add_argument("kind", choices=KINDS)
    load.add_argument("file", type=Path)
    actions.add_parser("sample", help="import the shipped sample files (sample data)")
    synthetic = actions.add_parser("synthetic", help="load synthetic sites (benchmarks)")
    synthetic.add_argument("--count", type=int, default=10_000)
    synthetic.add_argument("--seed", type=int, default=2026)


async def _with_repo(dsn: str | None, work: Callable[[Any], Awaitable[list[str]]]) -> int:
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415

    from functions.kit.bootstrap import build_registry  # noqa: PLC0415
    from functions.kit.migrations import migrate  # noqa: PLC0415
    from functions.kit.settings import Settings  # noqa: PLC0415
    from functions.location.loaders.formats import MalformedFileError  # noqa: PLC0415
    from functions.location.postgres_sites import PostgresSiteRepository  # noqa: PLC0415

    pool = await asyncpg.create_pool(dsn or Settings().pg_dsn, min_size=1, max_size=2)
    try:
        await migrate(pool, build_registry(domains=["location"]).migrations)
        for line in await work(PostgresSiteRepository(pool)):
            print(line)
    except (MalformedFileError, OSError) as exc:
        print(f"eco2 places: {exc}", file=sys.stderr)
        return 2
    finally:
        await pool.close()
    return 0


def run(args: argparse.Namespace) -> int:
    from functions.location.loaders import importer  # noqa: PLC0415
    from functions.location.loaders.synthetic import synthetic_sites  # noqa: PLC0415

    async def work(repo: Any) -> list[str]:
        if args.places_action == "import":
            return (await importer.import_bytes(repo, args.kind, args.file.read_bytes())).lines()
        if args.places_action == "sample":
            return [line for i in await importer.import_sample(repo) for line in i.lines()]
        report, _ = await repo.upsert(list(synthetic_sites(args.count, args.seed)))
        return [f"synthetic: {report.inserted} inserted, {report.updated} updated, "
                f"{report.unchanged} unchanged"]  # fmt: skip

    return asyncio.run(_with_repo(args.dsn, work))
