"""Broker load bench: raw aio-pika vs the Eco² adapters, measured side by side in one run.

    uv run python -m tests.load.broker_bench [--seconds N] [--quick] [--only raw,e2e,...]

Every scenario gets its own RabbitMQ vhost (created and deleted through the management API)
and its own Redis key prefix (purged afterwards). Only loopback traffic; every loop is bounded
by time and by count. See tests/load/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import httpx
from redis.asyncio import Redis

from eventing.broker.memory import InMemoryBroker
from eventing.broker.port import Broker
from eventing.broker.rabbitmq import RabbitMQBroker
from eventing.codec import from_amqp, to_amqp
from eventing.idempotency import MemoryProcessedStore, ProcessedStore
from eventing.redis_idempotency import RedisProcessedStore
from tests.load.mesh import Receipts, chain, stamped_order

ROOT = Path(__file__).resolve().parents[2]
MAX_EVENTS = 5_000_000  # hard cap on publishes per scenario, whatever the clock says
DRAIN_S = 20.0  # how long a scenario waits for in-flight events after publishing stops
READY_S = 60.0
PACED_RATE = 500
KNATIVE_NOTE = (
    "Knative's RabbitMQ broker: ~1,000 events/s highest published rate "
    "(reference, not measured here)"
)
log = logging.getLogger("broker_bench")


@dataclass(frozen=True)
class Settings:
    amqp_url: str
    redis_url: str
    rabbit_api: str
    seconds: float
    warmup: float

    @classmethod
    def from_env(cls, seconds: float, warmup: float) -> Settings:
        env = os.environ.get
        return cls(
            amqp_url=env("ECO2_TEST_AMQP_URL", "amqp://eco2:eco2@127.0.0.1:5672/"),
            redis_url=env("ECO2_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            rabbit_api=env("ECO2_TEST_RABBIT_API", "http://eco2:eco2@127.0.0.1:15672"),
            seconds=seconds,
            warmup=warmup,
        )


@dataclass
class Result:
    scenario: str
    parallelism: int
    rate: float  # msgs/s for raw, events/s (counted at B) for end-to-end
    latencies_ns: list[int]
    moved: int  # broker messages moved per counted unit: 1 raw, 2 end-to-end, 0 in-memory
    published: int = 0
    received: int = 0
    errors: int = 0
    note: str = ""
    cpu_s: float | None = None  # CPU of this process in the window, when it did all the work
    window_s: float = 0.0
    others: float = 0.0  # % of the machine's CPU used by processes outside the bench meanwhile
    mq_us: float | None = None  # RabbitMQ's CPU per message or event, over the whole scenario

    def cpu_us(self) -> str:
        """Microseconds of this process's CPU per counted message or event."""
        if self.cpu_s is None or not self.rate:
            return "-"
        return f"{self.cpu_s * 1e6 / (self.rate * self.window_s):.0f}"

    def pct(self, q: float) -> float | None:
        if not self.latencies_ns:
            return None
        ordered = sorted(self.latencies_ns)
        index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
        return ordered[index] / 1e6

    def check(self) -> str:
        if self.errors:
            return f"{self.errors} publish errors"
        if self.received < self.published:
            return f"LOST {self.published - self.received}"
        if self.received > self.published:
            return f"dup {self.received - self.published}"
        return "ok"


# ------------------------------------------------------------------ isolation

API_WAIT_S = 90.0  # the shared RabbitMQ may be mid-restart (another suite's durability test)


async def _retrying(request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """A management API call that waits out a RabbitMQ restart, within API_WAIT_S."""
    deadline = time.monotonic() + API_WAIT_S
    while True:
        try:
            response = await request()
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        else:
            if response.status_code < 500 or time.monotonic() > deadline:
                return response.raise_for_status()
        await asyncio.sleep(1.0)


def _api(settings: Settings) -> httpx.AsyncClient:
    parts = urlsplit(settings.rabbit_api)
    base = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port or 15672}"))
    auth = (parts.username or "guest", parts.password or "guest")
    return httpx.AsyncClient(base_url=base, auth=auth, timeout=10.0)


@contextlib.asynccontextmanager
async def fresh_vhost(settings: Settings) -> AsyncIterator[str]:
    """A new vhost for one scenario; yields its AMQP URL and deletes it (queues and all)."""
    vhost = f"eco2_bench_{uuid.uuid4().hex[:12]}"
    path = f"/api/vhosts/{quote(vhost, safe='')}"
    user = urlsplit(settings.amqp_url).username or "guest"
    async with _api(settings) as api:
        await _retrying(lambda: api.put(path))
        try:
            grant = {"configure": ".*", "write": ".*", "read": ".*"}
            perms = f"/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}"
            await _retrying(lambda: api.put(perms, json=grant))
            parts = urlsplit(settings.amqp_url)
            yield urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))
        finally:
            await _retrying(lambda: api.delete(path))


@contextlib.asynccontextmanager
async def redis_namespace(settings: Settings) -> AsyncIterator[tuple[Redis, str]]:
    """A client and a key prefix for one scenario; every key under it is purged after."""
    prefix = f"eco2_bench_{uuid.uuid4().hex[:12]}:"
    redis = Redis.from_url(settings.redis_url)
    try:
        yield redis, prefix
    finally:
        batch: list[bytes] = []
        async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                await redis.unlink(*batch)
                batch.clear()
        if batch:
            await redis.unlink(*batch)
        await redis.aclose()


# ------------------------------------------------------------------ load driving


@dataclass
class Load:
    """Open-loop publishers with a bounded backlog, and the window they are measured in."""

    parallelism: int  # publishes in flight
    backlog: int  # published but not yet counted at the end of the chain, at most
    published: int = 0
    errors: int = 0
    t0: int = 0
    t1: int = 0
    cpu_s: float = 0.0  # this process's CPU time (user + sys) within the window
    _stop: bool = False
    _slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.backlog)

    def arrived(self, n: int = 1) -> None:
        for _ in range(n):
            self._slots.release()

    async def run(
        self,
        publish: Callable[[int], Awaitable[None]],
        settings: Settings,
        received: Callable[[], int],
    ) -> None:
        """Warm up, measure for `settings.seconds`, stop publishing, wait for the stragglers."""
        numbers = iter(range(MAX_EVENTS))

        async def publisher() -> None:
            while not self._stop:
                await self._slots.acquire()
                if self._stop:
                    return
                n = next(numbers, None)
                if n is None:
                    return
                try:
                    await publish(n)
                    self.published += 1
                except Exception:
                    self.errors += 1
                    self._slots.release()
                    log.exception("publish failed")
                    await asyncio.sleep(0.05)

        tasks = [asyncio.ensure_future(publisher()) for _ in range(self.parallelism)]
        try:
            await asyncio.sleep(settings.warmup)
            self.t0, cpu0 = time.perf_counter_ns(), time.process_time()
            await asyncio.sleep(settings.seconds)
            self.t1, self.cpu_s = time.perf_counter_ns(), time.process_time() - cpu0
            self._stop = True
            self.arrived(self.parallelism)  # wake publishers parked on a full backlog
            await asyncio.wait_for(asyncio.gather(*tasks), DRAIN_S)
        finally:
            for task in tasks:
                task.cancel()
        await _until(lambda: received() >= self.published, DRAIN_S)

    @property
    def window_s(self) -> float:
        return (self.t1 - self.t0) / 1e9


async def _until(check: Callable[[], bool], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # let a duplicate, if any, show up before counting
    return True


def _backlog(parallelism: int) -> int:
    """Enough to keep publish, A and B busy at once; small enough to bound queueing."""
    return 4 * parallelism


# ------------------------------------------------------------------ 1. raw aio-pika


async def raw_aio_pika(settings: Settings, parallelism: int) -> Result:
    """Persistent messages, confirms, one durable classic queue, manual ack; one process."""
    receipts = Receipts()
    load = Load(parallelism, _backlog(parallelism))
    receipts.on_receipt = load.arrived
    async with fresh_vhost(settings) as url:
        conn = await aio_pika.connect(url)
        try:
            pub = await conn.channel(publisher_confirms=True)
            sub = await conn.channel(publisher_confirms=False)
            await sub.set_qos(prefetch_count=parallelism)
            queue = await sub.declare_queue(
                "bench.raw", durable=True, arguments={"x-queue-type": "classic"}
            )

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                await message.ack()
                receipts.record(int(message.body))

            await queue.consume(on_message, no_ack=False)
            exchange = pub.default_exchange

            async def publish(n: int) -> None:
                body = str(time.perf_counter_ns()).encode()
                message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
                await exchange.publish(message, routing_key="bench.raw")

            await load.run(publish, settings, lambda: receipts.count)
        finally:
            await conn.close()
    count, latencies = receipts.window(load.t0, load.t1)
    return Result(
        "1 raw aio-pika (msgs/s)",
        parallelism,
        count / load.window_s,
        latencies,
        moved=1,
        published=load.published,
        received=receipts.count,
        errors=load.errors,
        cpu_s=load.cpu_s,
        window_s=load.window_s,
    )


# ------------------------------------------------------------------ 2/5. one process end-to-end


async def _end_to_end(
    settings: Settings,
    parallelism: int,
    make: Callable[[Receipts], Awaitable[Broker]],
    scenario: str,
    moved: int,
) -> Result:
    receipts = Receipts()
    load = Load(parallelism, _backlog(parallelism))
    receipts.on_receipt = load.arrived
    broker = await make(receipts)
    try:

        async def publish(n: int) -> None:
            await broker.publish(stamped_order(n, time.perf_counter_ns()))

        await load.run(publish, settings, lambda: receipts.count)
    finally:
        await broker.close()
    count, latencies = receipts.window(load.t0, load.t1)
    return Result(
        scenario,
        parallelism,
        count / load.window_s,
        latencies,
        moved=moved,
        published=load.published,
        received=receipts.count,
        errors=load.errors,
        cpu_s=load.cpu_s,
        window_s=load.window_s,
    )


async def rabbitmq_end_to_end(settings: Settings, parallelism: int, store_kind: str) -> Result:
    async with fresh_vhost(settings) as url, redis_namespace(settings) as (redis, prefix):

        async def make(receipts: Receipts) -> Broker:
            store: ProcessedStore = (
                RedisProcessedStore(redis, prefix)
                if store_kind == "redis"
                else MemoryProcessedStore()
            )
            broker = RabbitMQBroker(url, broker="bench", store=store)
            for sub in chain(receipts, parallelism):
                broker.subscribe(sub)
            await broker.start()
            return broker

        name = f"2 Eco² RabbitMQ e2e, {store_kind} store"
        return await _end_to_end(settings, parallelism, make, name, moved=2)


async def memory_end_to_end(settings: Settings, parallelism: int) -> Result:
    async def make(receipts: Receipts) -> Broker:
        broker = InMemoryBroker(store=MemoryProcessedStore())
        for sub in chain(receipts, parallelism):
            broker.subscribe(sub)
        await broker.start()
        return broker

    return await _end_to_end(settings, parallelism, make, "5 in-memory adapter e2e", moved=0)


# ------------------------------------------------------------------ 3. consumer processes


class Worker:
    """A `tests.load.bench_worker` process: triggers A and B; reports over stdout."""

    def __init__(self, proc: asyncio.subprocess.Process, load: Load) -> None:
        self.proc = proc
        self.count = 0
        self._load = load
        self._reports: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def spawn(
        cls, url: str, redis_url: str, prefix: str, concurrency: int, load: Load
    ) -> Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.load.bench_worker",
            url,
            redis_url,
            prefix,
            str(concurrency),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        assert proc.stdout is not None
        async with asyncio.timeout(READY_S):
            while True:
                line = await proc.stdout.readline()
                if not line:
                    raise RuntimeError("bench worker exited before READY")
                if line.startswith(b"READY"):
                    break
        return cls(proc, load)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            if line.startswith(b"C "):
                count = int(line[2:])
                self._load.arrived(count - self.count)
                self.count = count
            elif line.startswith(b"R "):
                self._reports.put_nowait(json.loads(line[2:]))

    async def report(self, t0: int, t1: int) -> dict[str, object]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"REPORT {t0} {t1}\n".encode())
        await self.proc.stdin.drain()
        async with asyncio.timeout(30):
            return await self._reports.get()

    async def stop(self) -> None:
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(ConnectionError):
                self.proc.stdin.write(b"QUIT\n")
                await self.proc.stdin.drain()
        try:
            async with asyncio.timeout(15):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self._reader.cancel()


async def consumer_processes(settings: Settings, parallelism: int, processes: int) -> Result:
    """Publisher in this process; triggers A and B in `processes` worker processes each."""
    load = Load(parallelism, _backlog(parallelism) * processes)
    async with fresh_vhost(settings) as url, redis_namespace(settings) as (_, prefix):
        workers: list[Worker] = []
        publisher = RabbitMQBroker(url, broker="bench")
        try:
            for _ in range(processes):  # the workers declare the queues: start them first
                workers.append(
                    await Worker.spawn(url, settings.redis_url, prefix, parallelism, load)
                )
            await publisher.start()

            async def publish(n: int) -> None:
                await publisher.publish(stamped_order(n, time.perf_counter_ns()))

            await load.run(publish, settings, lambda: sum(w.count for w in workers))
            reports = [await w.report(load.t0, load.t1) for w in workers]
        finally:
            await publisher.close()
            for worker in workers:
                await worker.stop()
    count = sum(int(r["count"]) for r in reports)  # type: ignore[call-overload]
    latencies = [lat for r in reports for lat in r["latencies"]]  # type: ignore[attr-defined]
    return Result(
        f"3 e2e, A+B in {processes} worker process{'es' if processes > 1 else ''}",
        parallelism,
        count / load.window_s,
        latencies,
        moved=2,
        published=load.published,
        received=sum(int(r["total"]) for r in reports),  # type: ignore[call-overload]
        errors=load.errors,
        note="publisher in parent",
    )


# ------------------------------------------------------------------ 4. paced latency


async def paced(settings: Settings, rate: int, concurrency: int = 32) -> Result:
    """Publish at a fixed rate; each event is stamped with its *scheduled* send time."""
    receipts = Receipts()
    async with fresh_vhost(settings) as url, redis_namespace(settings) as (redis, prefix):
        broker = RabbitMQBroker(url, broker="bench", store=RedisProcessedStore(redis, prefix))
        for sub in chain(receipts, concurrency):
            broker.subscribe(sub)
        await broker.start()
        pending: set[asyncio.Task[None]] = set()
        errors = 0
        late_ns = 0

        async def send(n: int, due: int) -> None:
            nonlocal errors
            try:
                await broker.publish(stamped_order(n, due))
            except Exception:
                errors += 1
                log.exception("publish failed")

        try:
            total = min(MAX_EVENTS, int(rate * (settings.warmup + settings.seconds)))
            interval = 1e9 / rate
            start = time.perf_counter_ns() + 1_000_000
            t0 = start + int(settings.warmup * 1e9)
            for n in range(total):
                due = start + int(n * interval)
                delay = due - time.perf_counter_ns()
                if delay > 0:
                    await asyncio.sleep(delay / 1e9)
                else:
                    late_ns = max(late_ns, -delay)
                task = asyncio.ensure_future(send(n, due))
                pending.add(task)
                task.add_done_callback(pending.discard)
            t1 = time.perf_counter_ns()
            await _until(lambda: receipts.count >= total, DRAIN_S)
        finally:
            for task in list(pending):
                task.cancel()
            await broker.close()
    count, latencies = receipts.window(t0, t1, by_send=True)  # every event sent in the window
    arrived, _ = receipts.window(t0, t1)  # falls short of the pace when the chain cannot keep up
    sent_in_window = total - int(rate * settings.warmup)
    return Result(
        f"4 paced {rate}/s e2e, redis store",
        concurrency,
        arrived / ((t1 - t0) / 1e9),
        latencies,
        moved=2,
        published=total,
        received=receipts.count,
        errors=errors,
        note=f"{count}/{sent_in_window} delivered; pacer max late {late_ns / 1e6:.1f} ms",
    )


# ------------------------------------------------------------------ codec


def codec_us(rounds: int = 2000) -> tuple[float, float]:
    """CPU microseconds of one to_amqp and one from_amqp of a bench event (SDK underneath)."""
    event = stamped_order(1, time.perf_counter_ns())
    wire = to_amqp(event)
    start = time.process_time()
    for _ in range(rounds):
        to_amqp(event)
    encode = time.process_time() - start
    start = time.process_time()
    for _ in range(rounds):
        from_amqp(wire.headers, wire.content_type, wire.body)
    decode = time.process_time() - start
    return encode * 1e6 / rounds, decode * 1e6 / rounds


# ------------------------------------------------------------------ interference

SERVICES = ("beam.smp", "redis-server")  # RabbitMQ and Redis count as part of the bench


class ProcTicks(NamedTuple):
    """One process's line of /proc/<pid>/stat, in clock ticks."""

    command: str
    parent: int
    ticks: int  # its own user + system time
    reaped: int  # user + system time of its children that exited and that it waited for


def _proc_stats() -> dict[int, ProcTicks]:
    """pid -> its ticks, for every process we can read."""
    found: dict[int, ProcTicks] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = (entry / "stat").read_text()
            command = raw[raw.index("(") + 1 : raw.rindex(")")]
            f = [int(x) for x in raw[raw.rindex(")") + 2 :].split()[1:15]]
            found[int(entry.name)] = ProcTicks(command, f[0], f[10] + f[11], f[12] + f[13])
    return found


def _busy_ticks() -> int:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def _used_between(before: dict[int, ProcTicks], after: dict[int, ProcTicks]) -> int:
    """Ticks a set of processes used between two snapshots, those that exited meanwhile
    included: a process that exited was reaped by its parent (the bench reaps its workers), whose
    `reaped` then holds all of its time, so only what it had used before the window is taken
    off. A worker started and stopped within a scenario is in neither snapshot, yet counted."""
    used = 0
    for pid, now in after.items():
        then = before.get(pid)
        used += now.ticks + now.reaped - (then.ticks + then.reaped if then else 0)
    for pid, then in before.items():
        if pid not in after:
            used -= then.ticks + then.reaped
    return used


def _ours(stats: dict[int, ProcTicks]) -> dict[int, ProcTicks]:
    """This process, all its descendants (bench workers), RabbitMQ and Redis."""
    ours = {os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, s in stats.items():
            if s.parent in ours and pid not in ours:
                ours.add(pid)
                grew = True
    return {pid: s for pid, s in stats.items() if pid in ours or s.command in SERVICES}


class Interference:
    """How much CPU processes outside the bench (this process tree, RabbitMQ, Redis) used."""

    def __init__(self) -> None:
        self._start = (time.monotonic(), _busy_ticks(), _ours(_proc_stats()))
        self.restarted = False

    def service_seconds(self, command: str) -> float:
        """CPU seconds a service (e.g. beam.smp, RabbitMQ) used since construction."""
        before = {pid: s for pid, s in self._start[2].items() if s.command == command}
        now = {pid: s for pid, s in _proc_stats().items() if s.command == command}
        return _used_between(before, now) / os.sysconf("SC_CLK_TCK")

    def bench_seconds(self) -> float:
        """CPU seconds the bench's processes, RabbitMQ and Redis used since construction."""
        return _used_between(self._start[2], _ours(_proc_stats())) / os.sysconf("SC_CLK_TCK")

    def others_percent(self) -> float:
        """CPU used by everything else, in % of the whole machine, since construction."""
        now, busy, stats = time.monotonic(), _busy_ticks(), _ours(_proc_stats())
        start, busy0, stats0 = self._start
        ours = _used_between(stats0, stats)
        hz = os.sysconf("SC_CLK_TCK")
        cores = len(os.sched_getaffinity(0))
        return max(0.0, 100.0 * (busy - busy0 - ours) / hz / (now - start) / cores)


async def _rabbit_uptime_ms(settings: Settings) -> int:
    async with _api(settings) as api:
        nodes = (await _retrying(lambda: api.get("/api/nodes"))).json()
    return min(int(node.get("uptime", 0)) for node in nodes)


# ------------------------------------------------------------------ report


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _ram_gib() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


async def machine(settings: Settings) -> str:
    async with _api(settings) as api:
        overview = (await _retrying(lambda: api.get("/api/overview"))).json()
    redis = Redis.from_url(settings.redis_url)
    try:
        redis_version = (await redis.info("server"))["redis_version"]
    finally:
        await redis.aclose()
    cpus = len(os.sched_getaffinity(0))
    return (
        f"machine: {socket.gethostname()}, nproc {cpus}, {_cpu_model()}, "
        f"RAM {_ram_gib():.1f} GiB, Python {platform.python_version()}, "
        f"RabbitMQ {overview.get('rabbitmq_version')} (Erlang {overview.get('erlang_version')}), "
        f"Redis {redis_version}, aio-pika {version('aio-pika')}, aiormq {version('aiormq')}"
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: list[Result]) -> str:
    raw = {r.parallelism: r.rate for r in results if r.scenario.startswith("1 ")}
    head = (
        f"{'scenario':<44} {'par':>3} {'rate/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'cpu us':>6} {'mq us':>6} {'ev/raw':>6} {'msg/raw':>7} {'other':>5}  check"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        base = raw.get(r.parallelism)
        ratio = moved = "-"
        mq = "-" if r.mq_us is None else f"{r.mq_us:.0f}"
        if base and not r.scenario.startswith("1 "):
            ratio = f"{r.rate / base:.2f}"
            if r.moved:
                moved = f"{r.moved * r.rate / base:.2f}"
        lines.append(
            f"{r.scenario:<44} {r.parallelism:>3} {r.rate:>8.0f} {_ms(r.pct(0.50)):>7} "
            f"{_ms(r.pct(0.99)):>7} {_ms(r.pct(1.0)):>7} {r.cpu_us():>6} {mq:>6} {ratio:>6} "
            f"{moved:>7} {r.others:>4.0f}%  {r.check()}" + (f"  ({r.note})" if r.note else "")
        )
    return "\n".join(lines)


SCENARIOS = ("raw", "e2e", "memstore", "procs", "paced", "memory")


async def main(args: argparse.Namespace) -> None:  # noqa: PLR0912 - one flat plan loop
    warmup = 0.5 if args.quick else 3.0
    seconds = args.seconds if args.seconds is not None else (1.0 if args.quick else 10.0)
    settings = Settings.from_env(seconds, warmup)
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    print(await machine(settings), flush=True)
    print(f"window {seconds:g} s after {warmup:g} s warm-up per scenario", flush=True)
    plan: list[tuple[str, Callable[[], Awaitable[Result]]]] = []
    for p in (1, 32):
        plan.append(("raw", lambda p=p: raw_aio_pika(settings, p)))  # type: ignore[misc]
    for p in (1, 32):
        plan.append(("e2e", lambda p=p: rabbitmq_end_to_end(settings, p, "redis")))  # type: ignore[misc]
    for p in (1, 32):
        plan.append(("memstore", lambda p=p: rabbitmq_end_to_end(settings, p, "memory")))  # type: ignore[misc]
    for n in (1, 2):
        plan.append(("procs", lambda n=n: consumer_processes(settings, 32, n)))  # type: ignore[misc]
    plan.append(("paced", lambda: paced(settings, PACED_RATE)))
    for p in (1, 32):
        plan.append(("memory", lambda p=p: memory_end_to_end(settings, p)))  # type: ignore[misc]
    results: list[Result] = []
    for key, run in plan:
        if key not in only:
            continue
        started, uptime = time.monotonic(), await _rabbit_uptime_ms(settings)
        interference = Interference()
        try:
            result = await run()
        except Exception as exc:  # one broken scenario must not hide the others' figures
            print(f"  {key}: FAILED ({type(exc).__name__}: {exc})", flush=True)
            continue
        result.others = interference.others_percent()
        if result.moved and result.received:
            result.mq_us = interference.service_seconds("beam.smp") * 1e6 / result.received
        if await _rabbit_uptime_ms(settings) < uptime:
            result.note = "RabbitMQ RESTARTED during this scenario; " + result.note
        results.append(result)
        print(
            f"  {result.scenario} x{result.parallelism}: {result.rate:,.0f}/s "
            f"({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    print()
    print(table(results))
    busiest = max((r.others for r in results), default=0.0)
    if busiest > 10:
        print(
            f"WARNING: other processes took up to {busiest:.0f}% of this machine's CPU during "
            "this run; absolute numbers are low and noisy, compare rows within the run"
        )
    procs = [r for r in results if r.scenario.startswith("3 ")]
    if len(procs) == 2 and procs[0].rate:
        print(
            f"second consumer process: {procs[1].rate / procs[0].rate:.2f}x "
            f"(ideal 2x; {len(os.sched_getaffinity(0))} cores shared by the publisher, "
            "the workers, RabbitMQ and Redis)"
        )
    encode, decode = codec_us()
    e2e = [r for r in results if r.scenario.startswith("2 ") and "redis" in r.scenario]
    share = ""
    if e2e and e2e[-1].cpu_s and e2e[-1].rate:
        per_event = e2e[-1].cpu_s * 1e6 / (e2e[-1].rate * e2e[-1].window_s)
        share = f", {200 * (encode + decode) / per_event:.0f}% of the e2e CPU per event above"
    print(
        f"codec (eventing.codec on the cloudevents SDK): to_amqp {encode:.0f} us, from_amqp "
        f"{decode:.0f} us; an event is encoded and decoded twice{share}"
    )
    print(KNATIVE_NOTE)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=None, help="measured window per scenario")
    parser.add_argument("--quick", action="store_true", help="short windows (~30 s in all)")
    parser.add_argument("--only", default="", help=f"comma list of {','.join(SCENARIOS)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
