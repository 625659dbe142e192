"""SSE gateway load bench: concurrent subscribers held, delivery rate and latency, reconnects.

    uv run python -m tests.load.sse_bench [--clients 10000] [--jobs 1000] [--tokens 30]
        [--interval 1.0] [--client-procs 4] [--gateways 1] [--phases steady,reconnect] [--quick]

One command starts and stops everything on loopback: the event router (`python -m
functions.kit.deploy.event_router`), the gateway (`uvicorn --factory
functions.kit.deploy.sse_gateway:create_gateway_app`, as deployed), a publisher process and
load-client processes (httpx + httpx-sse), all on the real Redis (`scripts/services up`) under
a key prefix of their own, purged at the end. Phases:

1. steady: every client connects (ramp), then each job streams `tokens` tokens `interval` s
   apart and `done`; every client must get every token exactly once, in order;
2. reconnect: the same, but every client drops its connection 1-3 times mid-stream and
   resumes with Last-Event-ID.

Latency is publish → client receipt (the publisher stamps CLOCK_MONOTONIC into each token).
Gateway RSS comes from /proc/<pid>/status. See tests/load/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventing.bus.limits import BusLimits
from eventing.bus.redis_streams import RedisEventBus
from tests.load.sse import procs, report
from tests.rig import purge_redis_prefix

USER = "bench-user"
SHARDS = 4  # the bus default, as the router and the gateway read it from Settings
GATEWAY_COUNTERS = (
    "eco2_sse_dropped_events_total",
    "eco2_sse_resyncs_total",
    "eco2_sse_duplicates_skipped_total",
    "eco2_sse_recoveries_total",
    'eco2_sse_rejected_total{reason="unavailable"}',
)
MAX_CLIENTS = 20_000  # bounded whatever the flags say (open files, ephemeral ports)


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", type=int, default=10_000)
    p.add_argument("--jobs", type=int, default=1_000)
    p.add_argument("--tokens", type=int, default=30, help="tokens per job")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between a job's tokens")
    p.add_argument("--client-procs", type=int, default=4)
    p.add_argument("--gateways", type=int, default=1)
    p.add_argument("--connect-rate", type=float, default=1_000, help="new connections/s, all")
    p.add_argument("--ramp-timeout", type=float, default=180)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--source-addresses", action="store_true", help="127.0.0.x per process")
    p.add_argument("--phases", default="steady,reconnect", help="comma-separated, in order")
    p.add_argument("--profile-gateway", metavar="PATH", help="cProfile each gateway to PATH.<port>")
    p.add_argument("--quick", action="store_true", help="200 clients, 20 jobs, 10 tokens")
    args = p.parse_args()
    if args.quick:
        args.clients, args.jobs, args.tokens, args.interval = 200, 20, 10, 0.2
    args.clients = min(args.clients, MAX_CLIENTS)
    args.jobs = min(args.jobs, args.clients)
    return args


@dataclass
class Bench:
    """What every phase runs against: the running gateways and the bus (for registration)."""

    args: argparse.Namespace
    env: dict[str, str]
    urls: list[str]
    pids: list[int]
    bus: RedisEventBus
    started: list[asyncio.subprocess.Process]
    workdir: Path
    router_pid: int
    rss_idle: float = 0.0  # the gateways once ready, before any phase's first client

    def rss(self) -> float:
        return sum(procs.rss_mib(pid) for pid in self.pids)

    def cpu(self) -> float:
        return sum(procs.cpu_s(pid) for pid in self.pids)

    def others_cpu(self) -> dict[str, float]:
        """CPU seconds of the rest of the path: the router and the Redis server."""
        redis = sum(procs.cpu_s(pid) for pid in procs.pids_named("redis-server"))
        return {"router": procs.cpu_s(self.router_pid), "redis": redis}


@dataclass
class Measured:
    rss_idle: float
    rss_base: float  # at this phase's start: after an earlier phase, what its clients left
    held: int = 0
    start_s: float = 0.0
    ramp_s: float = 0.0
    rss_held: float = 0.0
    peak_rss: float = 0.0
    peak_conn: float = 0.0
    cpu_used: float = 0.0
    wall: float = 0.0
    publish_ns: int = 0
    published: dict[str, Any] = field(default_factory=dict)
    others: dict[str, float] = field(default_factory=dict)
    gateway: dict[str, float] = field(default_factory=dict)
    probe_ms: list[float] = field(default_factory=list)


def client_configs(bench: Bench, name: str, jobs: list[str]) -> list[dict[str, Any]]:
    args = bench.args
    assignment = [jobs[i % len(jobs)] for i in range(args.clients)]
    n = args.client_procs
    return [
        {
            "urls": bench.urls,
            "user": USER,
            "jobs": assignment[k::n],
            "seed": k,
            "tokens": args.tokens,
            "reconnect": name == "reconnect",
            # bind-before-connect picks ports slowly (a blocking bind per connect): only when
            # one (source, destination) pair's ~28k ephemeral ports are not enough
            "source_address": f"127.0.0.{10 + k}" if args.source_addresses else None,
            "connect_rate": args.connect_rate / n,
            "read_timeout_s": 60,
            "deadline_s": args.ramp_timeout + args.tokens * args.interval + 120,
        }
        for k in range(n)
    ]


async def ramp(bench: Bench, clients: procs.Clients, m: Measured) -> None:
    """Wait until every client got its first event (or the ramp timeout), then sample."""
    t0 = time.monotonic()
    first = 0.0  # the first connection (client processes take a while to start)
    while clients.held < bench.args.clients and clients.alive():
        if time.monotonic() - t0 > bench.args.ramp_timeout:
            break
        if clients.held and not first:
            first = time.monotonic()
        await asyncio.sleep(0.25)
    m.start_s = (first or time.monotonic()) - t0
    m.ramp_s = time.monotonic() - (first or t0)
    m.held = clients.held
    m.peak_conn = (await procs.gateway_metrics(bench.urls)).get("eco2_sse_connections", 0)
    m.rss_held = m.peak_rss = bench.rss()


async def publish_and_follow(
    bench: Bench, jobs: list[str], clients: procs.Clients, m: Measured
) -> None:
    args = bench.args
    config = {
        "redis_url": args.redis_url,
        "prefix": bench.env["ECO2_REDIS_PREFIX"],
        "shards": SHARDS,
        "jobs": jobs,
        "tokens": args.tokens,
        "interval_s": args.interval,
        "seed": 1,
    }
    cpu0, wall0, m.publish_ns = bench.cpu(), time.monotonic(), time.monotonic_ns()
    others0 = bench.others_cpu()
    path = bench.workdir / "publisher.json"
    path.write_text(json.dumps(config))
    publisher = await procs.spawn(procs.python("-m", "tests.load.sse.publisher", str(path)))
    bench.started.append(publisher)
    reading = asyncio.create_task(publisher.communicate())
    while publisher.returncode is None or clients.alive():
        m.peak_rss = max(m.peak_rss, bench.rss())
        started = time.monotonic()
        live = (await procs.gateway_metrics(bench.urls)).get("eco2_sse_connections", 0)
        m.probe_ms.append((time.monotonic() - started) * 1e3)  # how busy the gateway loop is
        m.peak_conn = max(m.peak_conn, live)
        await asyncio.sleep(1)
    m.cpu_used, m.wall = bench.cpu() - cpu0, time.monotonic() - wall0
    m.others = {k: v - others0[k] for k, v in bench.others_cpu().items()}
    out, _ = await reading
    m.published = json.loads(out.decode().strip().splitlines()[-1])


async def run_phase(bench: Bench, name: str, n: int) -> dict[str, Any]:
    jobs = [f"{name}{n}-{i}" for i in range(bench.args.jobs)]
    for job in jobs:  # registered, and `queued` already there: a client's first event
        await bench.bus.register_job(job, USER, "chat")
        await bench.bus.publish_progress(job, "queued", "completed", progress=0)
    m = Measured(rss_idle=bench.rss_idle, rss_base=bench.rss())
    before = await procs.gateway_metrics(bench.urls)
    clients = procs.Clients(bench.started, bench.workdir)
    await clients.start(client_configs(bench, name, jobs))
    await ramp(bench, clients, m)
    await publish_and_follow(bench, jobs, clients, m)
    await clients.finish()
    after = await procs.gateway_metrics(bench.urls)
    m.gateway = {k: after.get(k, 0) - before.get(k, 0) for k in GATEWAY_COUNTERS}
    return report.summarize(name, bench.args, clients.results, m)


def gateway_command(port: int, profile: str | None) -> list[str]:
    """The deployed command (knative/generated/persistent/sse-gateway.yaml), on loopback;
    under cProfile when asked (the profile is written when the gateway exits)."""
    profiler = ("-m", "cProfile", "-o", f"{profile}.{port}") if profile else ()
    return procs.python(
        *profiler,
        *("-m", "uvicorn", "--factory", "functions.kit.deploy.sse_gateway:create_gateway_app"),
        *("--host", "127.0.0.1", "--port", str(port), "--backlog", "4096"),
        *("--no-access-log", "--log-level", "warning"),
    )


async def main() -> None:
    args = options()
    limit = procs.raise_open_files()
    print(f"machine: {procs.machine()}; open files limit {limit}", flush=True)
    prefix = f"eco2_bench_sse_{uuid.uuid4().hex[:8]}:"
    env = {
        "ECO2_MODE": "real",
        "ECO2_REDIS_URL": args.redis_url,
        "ECO2_REDIS_PREFIX": prefix,
        "ECO2_BUS_SHARDS": str(SHARDS),
    }
    redis = Redis.from_url(args.redis_url)
    await redis.ping()
    bus = RedisEventBus(redis, prefix=prefix, limits=BusLimits(shards=SHARDS))
    started: list[asyncio.subprocess.Process] = []
    try:
        with tempfile.TemporaryDirectory(prefix="eco2-sse-bench-") as tmp:
            await run_all(args, env, bus, started, Path(tmp))
    finally:
        await purge_redis_prefix(redis, prefix)
        await redis.aclose()


async def run_all(
    args: argparse.Namespace,
    env: dict[str, str],
    bus: RedisEventBus,
    started: list[asyncio.subprocess.Process],
    workdir: Path,
) -> None:
    """Router and gateways up, then the phases; every process stopped on the way out."""
    async with procs.running(started):
        router_port = procs.free_port()
        router_env = {**env, "ECO2_HOST": "127.0.0.1", "ECO2_PORT": str(router_port)}
        router_command = procs.python("-m", "functions.kit.deploy.event_router")
        router = await procs.spawn(router_command, router_env)
        started.append(router)
        urls, gateways = [], []
        for _ in range(args.gateways):
            port = procs.free_port()
            gateways.append(await procs.spawn(gateway_command(port, args.profile_gateway), env))
            urls.append(f"http://127.0.0.1:{port}")
        started.extend(gateways)
        for url in [f"http://127.0.0.1:{router_port}", *urls]:
            await procs.wait_ready(f"{url}/ready")
        pids = [g.pid for g in gateways]
        bench = Bench(args, env, urls, pids, bus, started, workdir, router.pid)
        bench.rss_idle = bench.rss()
        for n, name in enumerate(args.phases.split(",")):
            if name not in ("steady", "reconnect"):
                raise SystemExit(f"unknown phase {name!r}")
            result = await run_phase(bench, name, n)
            print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
        if args.profile_gateway:
            for gateway in gateways:
                await procs.stop(gateway, sig=signal.SIGINT)


if __name__ == "__main__":
    asyncio.run(main())
