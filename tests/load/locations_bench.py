"""`GET /api/v1/locations/centers` at 200 concurrent clients over N synthetic sites in Korea,
on PostGIS with its GiST index, side by side in the same run with the original's query
(earthdistance, no index) and a sequential scan of the same SQL.

    uv run python -m tests.load.locations_bench --quick     # 100,000 sites, 10 s windows
    uv run python -m tests.load.locations_bench             # 1,000,000 sites, 30 s windows
    uv run python -m tests.load.locations_bench --only postgis --sites 200000

Each variant is the location-api as deployed (`create_http_app` under uvicorn, its own
process, a pool of ECO2_PG_POOL_MAX connections) on a database of its own (ECO2_TEST_PG_DSN's
server; dropped at the end). A closed loop of `--clients` keep-alive connections asks random
map views (city-biased points, zoom 1..20, a quarter with a pickup filter); counted: requests
that completed inside the measured window (after a warm-up). `unfinished` is how many were
still waiting when the window closed: for a variant slower than the window, its p99 is a
lower bound. The machine line names what was measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.load.locations import data
from tests.load.locations.client import Tally, run_clients

VARIANTS = ("postgis", "earthdistance", "seqscan")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Row:
    variant: str
    clients: int
    rate: float
    p50: float | None
    p99: float | None
    rows: float
    errors: int
    unfinished: int
    completed: int
    steady: bool = True  # latencies of requests that started in the window (else: all)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = 0.0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    return (f"machine: {socket.gethostname()}, nproc {len(os.sched_getaffinity(0))}, {model}, "
            f"RAM {ram:.1f} GiB, Python {platform.python_version()}")  # fmt: skip


@contextlib.asynccontextmanager
async def serving(variant: str, dsn: str, workers: int) -> AsyncIterator[int]:
    port = _free_port()
    env = {**os.environ, "ECO2_PG_DSN": dsn}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.load.locations.server", "--variant", variant,
        "--port", str(port), "--workers", str(workers), cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                if proc.returncode is not None:
                    raise RuntimeError(f"{variant} server exited with {proc.returncode}")
                await asyncio.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        await data.cancel_queries(dsn)


async def measure(variant: str, dsn: str, args: argparse.Namespace) -> list[Row]:
    """One client alone (the latency of a request with no queue), then `--clients`."""
    async with serving(variant, dsn, args.workers) as port:
        alone = await run_clients(port, 1, args.single_seconds, 1.0, seed=3)
        loaded = await run_clients(port, args.clients, args.seconds, args.warmup, seed=7)
    return [_row(variant, 1, *alone), _row(variant, args.clients, *loaded)]


STEADY_MIN = 20  # fewer requests than this both started and ended in the window: use all


def _row(variant: str, clients: int, tally: Tally, unfinished: int, seconds: float) -> Row:
    n = len(tally.latencies_ms)
    steady = len(tally.steady_ms) >= STEADY_MIN
    lat = sorted(tally.steady_ms if steady else tally.latencies_ms)
    return Row(
        variant=variant,
        clients=clients,
        rate=n / seconds,
        p50=statistics.median(lat) if lat else None,
        p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None,
        steady=steady,
        rows=tally.rows / n if n else 0.0,
        errors=tally.errors,
        unfinished=unfinished,
        completed=n,
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def report(rows: list[Row]) -> str:
    lines: list[str] = []
    for clients in sorted({r.clients for r in rows}):
        lines += ["", f"{clients} client{'s' if clients > 1 else ''}:"]
        lines += _table([r for r in rows if r.clients == clients])
    return "\n".join(lines)


def _table(rows: list[Row]) -> list[str]:
    base = next((r for r in rows if r.variant == "postgis"), None)
    lines = [f"{'variant':<34} {'req/s':>9} {'p50 ms':>10} {'p99 ms':>10} {'rows':>6} "
             f"{'done':>7} {'unfin':>5} {'err':>4} {'postgis x':>10}"]  # fmt: skip
    names = {"postgis": "PostGIS KNN + ST_DWithin (GiST)",
             "earthdistance": "original: earthdistance, no index",
             "seqscan": "same SQL, sequential scan"}  # fmt: skip
    for r in rows:
        ratio = "-" if base is None or not r.rate else f"{base.rate / r.rate:,.0f}x"
        if base is not None and r.variant != "postgis" and not r.rate:
            ratio = f">{base.rate * 1:,.0f}x"
        mark = "" if r.steady else "*"
        lines.append(f"{names[r.variant]:<34} {r.rate:>9,.1f} {_ms(r.p50) + mark:>10} "
                     f"{_ms(r.p99) + mark:>10} "
                     f"{r.rows:>6.1f} {r.completed:>7} {r.unfinished:>5} {r.errors:>4} "
                     f"{ratio if r.variant != 'postgis' else '1x':>10}")  # fmt: skip
    return lines


async def main(args: argparse.Namespace) -> None:
    admin = os.environ.get(
        "ECO2_TEST_PG_DSN", "postgresql://eco2:eco2@127.0.0.1:5432/eco2?sslmode=disable"
    )
    print(machine(), flush=True)
    dsn = await data.create(admin)
    try:
        print(await data.versions(dsn), flush=True)
        started = time.perf_counter()
        timings = await data.load(dsn, args.sites)
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        took = time.perf_counter() - started
        print(f"loaded {args.sites:,} synthetic sites in {took:.1f} s ({steps})", flush=True)
        print(f"per variant: 1 client for {args.single_seconds:g} s, then {args.clients} clients "
              f"({args.warmup:g} s warm-up, {args.seconds:g} s window); each variant served by "
              f"its own uvicorn ({args.workers} worker(s))", flush=True)  # fmt: skip
        results: list[Row] = []
        for variant in args.only:
            results += await measure(variant, dsn, args)
            print(f"  measured {variant}", flush=True)
        print(report(results))
        print(
            "latencies: requests that started and completed inside the window; * = fewer "
            f"than {STEADY_MIN} did, so every request completed in it (started earlier too)"
        )
    finally:
        await data.drop(admin, dsn)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 sites, 10 s windows")
    parser.add_argument("--sites", type=int)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes per variant")
    parser.add_argument("--single-seconds", type=float, help="the one-client phase's window")
    parser.add_argument("--only", default=",".join(VARIANTS))
    args = parser.parse_args(argv)
    args.sites = args.sites or (100_000 if args.quick else 1_000_000)
    args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    args.single_seconds = args.single_seconds or (3.0 if args.quick else 10.0)
    args.only = [v for v in args.only.split(",") if v in VARIANTS]
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
