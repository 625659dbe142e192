"""Info feed bench: the first page and deep pages of `GET /api/v1/info/news` at N concurrent
readers through the HTTP mesh, read through the Redis page cache and from PostgreSQL alone,
with M stored articles and an ingest running meanwhile; then a walk of the whole feed by
cursor under the same inserts, checked for skipped and repeated articles.

    uv run python -m tests.load.info_bench            # 100,000 articles, 500 readers, 20 s/row
    uv run python -m tests.load.info_bench --quick    # 5,000 articles, 100 readers, 5 s/row

One run, on a database, vhost and Redis prefix of its own (removed afterwards): seed the
articles, start the ingest process (tests/load/info/feed_ingest.py), then per mode (`cache`:
`ECO2_INFO_CACHE_TTL_S=60`; `pg`: `0`) one HTTP mesh process (`eco2 run --real --serve http
--no-router`, no edge: readers send the `x-user-id` the edge would inject) and the rows:
`first` (category at random, limit 10, no cursor) and `deep` (a random cursor anywhere in the
feed, category at random), and between them `scroll` (pages 2-20 of a random category: the
cursors a reader scrolling from the top passes). Prints the machine, req/s and p50/p99 per
row side by side with the cache/pg ratio, and the walk check. See tests/load/README.md (Info bench).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from tests.load.info.driver import USER, Result, run_readers
from tests.load.info.seed import deep_cursors, scroll_cursors, seed
from tests.load.scan.namespace import Namespace, Servers, namespace, versions
from tests.load.scan.procs import ROOT, Service
from tests.load.scan.report import machine
from tests.load.sse.procs import free_port, raise_open_files

CATEGORIES = ("all", "environment", "energy", "ai")
NEWS = "/api/v1/info/news"


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--readers", type=int, default=500)
    p.add_argument("--seconds", type=float, default=20.0, help="measured seconds per row")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--ingest-rate", type=int, default=20, help="new articles per second")
    p.add_argument("--ttl", type=int, default=60, help="the cache mode's page TTL")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.articles, args.readers, args.seconds, args.warmup = 5_000, 100, 5.0, 1.0
    return args


def mesh(ns: Namespace, workdir: Path, ttl: int, port: int) -> Service:
    env = {
        "ECO2_MODE": "real",
        "ECO2_AMQP_URL": ns.amqp_url,
        "ECO2_REDIS_URL": ns.redis_url,
        "ECO2_REDIS_PREFIX": ns.redis_prefix,
        "ECO2_PG_DSN": ns.pg_dsn,
        "ECO2_INFO_CACHE_TTL_S": str(ttl),
        "ECO2_LOG_LEVEL": "WARNING",
        "ECO2_INFO_RSS_FEEDS": "http://127.0.0.1:9/unused",  # a source is set: no sample seeded
    }
    command = [
        sys.executable,
        "-m",
        "functions.kit.cli",
        "run",
        "--real",
        "--serve",
        "http",
        "--no-router",
        "--port",
        str(port),
        "--internal-port",
        str(free_port()),
    ]
    return Service(
        f"mesh-{ttl}", command, env, workdir / f"mesh-{ttl}.log", f"http://127.0.0.1:{port}/ready"
    )


async def walk(url: str, pool: Any) -> dict[str, int]:
    """Every page of the whole feed by cursor (limit 50) while the ingest inserts; every
    article stored when the walk began must be seen exactly once."""
    before = {str(r["id"]) for r in await pool.fetch("SELECT id FROM info_articles")}
    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"limit": 50}
    async with httpx.AsyncClient(base_url=url, headers={"x-user-id": USER}, timeout=30) as http:
        while True:
            response = await http.get(NEWS, params=params)
            response.raise_for_status()
            body = response.json()
            pages += 1
            seen += [a["id"] for a in body["articles"]]
            if not body["has_more"]:
                break
            params["cursor"] = body["next_cursor"]
    after = await pool.fetchval("SELECT count(*) FROM info_articles")
    unique = set(seen)
    return {
        "stored at start": len(before),
        "pages": pages,
        "seen": len(seen),
        "repeated": len(seen) - len(unique),
        "skipped": len(before - unique),
        "inserted meanwhile": after - len(before),
        "of those seen": len(unique - before),
    }


async def run_mode(
    ns: Namespace,
    workdir: Path,
    args: argparse.Namespace,
    *,
    ttl: int,
    cursors: list[str],
    pool: Any,
) -> tuple[dict[str, Result], dict[str, int]]:
    port = free_port()
    service = mesh(ns, workdir, ttl, port)
    await service.start()
    rng = random.Random(ttl)
    scrolls = {c: await scroll_cursors(pool, c, 20, 10) for c in CATEGORIES}

    def scroll() -> str:
        category = rng.choice(CATEGORIES)
        return f"{NEWS}?category={category}&limit=10&cursor={rng.choice(scrolls[category])}"

    paths = {
        "first": lambda: f"{NEWS}?category={rng.choice(CATEGORIES)}&limit=10",
        "scroll": scroll,
        "deep": lambda: (
            f"{NEWS}?category={rng.choice(CATEGORIES)}&limit=10&cursor={rng.choice(cursors)}"
        ),
    }
    rows: dict[str, Result] = {}
    try:
        for name, path in paths.items():
            rows[name] = await run_readers(
                "127.0.0.1", port, args.readers, path, warmup_s=args.warmup, seconds=args.seconds
            )
        check = await walk(f"http://127.0.0.1:{port}", pool)
    finally:
        await service.stop()
    return rows, check


def report(args: argparse.Namespace, results: dict[str, Any], setup: dict[str, float]) -> None:
    print(f"\nmachine: {machine()}")
    print(f"servers: {results['versions']}")
    print(
        f"{args.articles:,} stored articles, {args.readers} readers (keep-alive, closed loop), "
        f"{args.seconds:.0f} s measured per row after {args.warmup:.0f} s warm-up, ingest "
        f"{args.ingest_rate}/s meanwhile (30 % backdated); 1 HTTP mesh process, no edge; "
        f"seeding took {setup['seed_s']:.1f} s"
    )
    header = f"{'row':<6} {'mode':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print("\n" + header + "\n" + "-" * len(header))
    for row in ("first", "scroll", "deep"):
        for mode, label in (
            ("cache", f"Redis cache (TTL {args.ttl} s)"),
            ("pg", "PostgreSQL alone"),
        ):
            r: Result = results[mode][0][row]
            print(
                f"{row:<6} {label:<22} {r.rate:>9.1f} {r.pct_ms(0.5):>8.1f} "
                f"{r.pct_ms(0.99):>8.1f} {sum(r.errors.values()):>7}"
                + (f"  {dict(r.errors)}" if r.errors else "")
            )
        c, g = results["cache"][0][row], results["pg"][0][row]
        print(
            f"{row:<6} {'cache / pg':<22} {c.rate / g.rate if g.rate else float('nan'):>8.2f}x "
            f"{c.pct_ms(0.5) / g.pct_ms(0.5):>7.2f}x {c.pct_ms(0.99) / g.pct_ms(0.99):>7.2f}x"
        )
    print("\nwalk of the whole feed by cursor (limit 50) under the ingest's inserts:")
    for mode in ("cache", "pg"):
        check = results[mode][1]
        verdict = "ok" if check["repeated"] == 0 and check["skipped"] == 0 else "FAILED"
        print(f"  {mode:<5} {verdict}: " + ", ".join(f"{k} {v:,}" for k, v in check.items()))


async def main() -> None:
    args = options()
    raise_open_files()
    servers = Servers.from_env()
    workdir = Path(tempfile.mkdtemp(prefix="info-bench-"))
    results: dict[str, Any] = {"versions": await versions(servers)}
    async with namespace(servers) as ns:
        pool = await asyncpg.create_pool(ns.pg_dsn, min_size=1, max_size=4)
        started = time.monotonic()
        await seed(pool, args.articles, random.Random(1))
        setup = {"seed_s": time.monotonic() - started}
        cursors = await deep_cursors(pool, 10 if args.quick else 100)
        ingest = Service(
            "ingest",
            [
                sys.executable,
                "-m",
                "tests.load.info.feed_ingest",
                "--pg",
                ns.pg_dsn,
                "--rate",
                str(args.ingest_rate),
            ],
            {},
            workdir / "ingest.log",
        )
        await ingest.start()
        try:
            for mode, ttl in (("cache", args.ttl), ("pg", 0)):
                results[mode] = await run_mode(
                    ns, workdir, args, ttl=ttl, cursors=cursors, pool=pool
                )
        finally:
            await ingest.stop()
            await pool.close()
    report(args, results, setup)
    print(f"\nlogs: {workdir}")


if __name__ == "__main__":
    os.chdir(ROOT)
    asyncio.run(main())
