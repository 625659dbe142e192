"""The event router on real Redis: replicas, a SIGKILLed replica, ack-after-publish, metrics.

Routers run as real processes (`python -m functions.kit.deploy.event_router`, as deployed);
a subscriber on the bus's live feed collects events and dedupes them by (job, seq), as the SSE
gateway does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from eventing.bus.keys import ROUTER_GROUP, shard_of
from eventing.bus.limits import BusLimits
from eventing.bus.port import StreamEvent
from eventing.bus.redis_streams import RedisEventBus
from eventing.router.metrics import collect, render_prometheus
from eventing.router.router import Entry, EventRouter, RouterConfig
from tests.rig import RedisClusterNamespace, RedisNamespace

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
SHARDS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RouterProcess:
    def __init__(self, proc: asyncio.subprocess.Process, consumer: str, port: int) -> None:
        self.proc = proc
        self.consumer = consumer
        self.url = f"http://127.0.0.1:{port}"

    async def metrics(self) -> str:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{self.url}/metrics")).text


async def _spawn_router(
    ns: RedisNamespace, consumer: str, min_idle_ms: int, *, cluster: bool = False
) -> RouterProcess:
    port = _free_port()
    env = {
        **os.environ,
        "ECO2_MODE": "real",
        "ECO2_REDIS_URL": ns.url,
        "ECO2_REDIS_CLUSTER": str(cluster).lower(),
        "ECO2_REDIS_PREFIX": ns.prefix,
        "ECO2_BUS_SHARDS": str(SHARDS),
        "ECO2_ROUTER_CONSUMER": consumer,
        "ECO2_ROUTER_CLAIM_MIN_IDLE_MS": str(min_idle_ms),
        "ECO2_ROUTER_BATCH": "32",
        "ECO2_PORT": str(port),
        "ECO2_LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "functions.kit.deploy.event_router", cwd=ROOT, env=env
    )
    router = RouterProcess(proc, consumer, port)
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{router.url}/ready")).status_code == 200:
                    return router
            assert proc.returncode is None, f"router {consumer} exited"
            await asyncio.sleep(0.05)
    raise AssertionError(f"router {consumer} never became ready")


@pytest.fixture
async def routers(
    redis_url_and_prefix: RedisNamespace,
) -> AsyncIterator[Callable[[str, int], Awaitable[RouterProcess]]]:
    started: list[RouterProcess] = []

    async def spawn(consumer: str, min_idle_ms: int = 10_000) -> RouterProcess:
        started.append(await _spawn_router(redis_url_and_prefix, consumer, min_idle_ms))
        return started[-1]

    yield spawn
    for router in started:
        if router.proc.returncode is None:
            router.proc.terminate()
            await router.proc.wait()


@pytest.fixture
async def cluster_routers(
    redis_cluster_url_and_prefix: RedisNamespace,
) -> AsyncIterator[Callable[[str, int], Awaitable[RouterProcess]]]:
    started: list[RouterProcess] = []

    async def spawn(consumer: str, min_idle_ms: int = 10_000) -> RouterProcess:
        ns = redis_cluster_url_and_prefix
        started.append(await _spawn_router(ns, consumer, min_idle_ms, cluster=True))
        return started[-1]

    yield spawn
    for router in started:
        if router.proc.returncode is None:
            router.proc.terminate()
            await router.proc.wait()


@pytest.fixture
async def redis(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url_and_prefix.url)
    yield client
    await client.aclose()


@pytest.fixture
def bus(redis: Redis, redis_url_and_prefix: RedisNamespace) -> RedisEventBus:
    return RedisEventBus(redis, prefix=redis_url_and_prefix.prefix, limits=BusLimits(shards=SHARDS))


class Subscriber:
    """Collects the live feed; `unique` is what a client sees after deduping by (job, seq)."""

    def __init__(self, bus: RedisEventBus) -> None:
        self.received: list[StreamEvent] = []
        self.unique: dict[tuple[str, int], StreamEvent] = {}
        self._feed = bus.live()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for event in self._feed:
            self.received.append(event)
            self.unique.setdefault((event.job_id, event.seq), event)

    async def subscribed(self, redis: Redis, bus: RedisEventBus) -> None:
        channels = bus.keys.all_channels()
        for _ in range(200):
            counts = dict(await redis.pubsub_numsub(*channels))
            if all(counts.get(c.encode(), 0) > 0 for c in channels):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("live feed never subscribed")

    async def hears(self, bus: RedisEventBus) -> None:
        """Subscribed on every shard: a warm-up job per shard published until it is heard
        (sharded subscriptions are counted per node, so this asks the feed itself)."""
        warmups: dict[int, str] = {}
        for n in range(1000):
            warmups.setdefault(shard_of(f"warmup-{n}", SHARDS), f"warmup-{n}")
        for job in warmups.values():
            await bus.register_job(job, "owner", "chat")
        for n in range(400):
            heard = {j for j, _ in self.unique}
            if heard >= set(warmups.values()):
                return
            for job in set(warmups.values()) - heard:
                await bus.publish_progress(job, f"w{n}", "started")
            await asyncio.sleep(0.05)
        raise AssertionError("live feed never heard every shard")

    def seqs(self, job: str) -> list[int]:
        return sorted(seq for j, seq in self.unique if j == job)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def _pending_of(redis: Redis, bus: RedisEventBus, consumer: str) -> int:
    total = 0
    for shard in bus.keys.all_shards():
        with contextlib.suppress(Exception):
            for row in await redis.xinfo_consumers(shard, ROUTER_GROUP):
                name = row["name"].decode() if isinstance(row["name"], bytes) else row["name"]
                if name == consumer:
                    total += int(row["pending"])
    return total


async def _group_pending(redis: Redis, bus: RedisEventBus) -> int:
    return sum(m.pending for m in await collect(redis, bus.keys))


async def _wait_for(check: Callable[[], Awaitable[bool]], what: str, within_s: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _emit_job(bus: RedisEventBus, job: str, tokens: int, pause_s: float = 0.002) -> None:
    await bus.register_job(job, "owner", "chat")
    await bus.publish_progress(job, "queued", "started", progress=0)
    await bus.publish_progress(job, "answer", "started", progress=50)
    for i in range(tokens):
        await bus.publish_token(job, f"{i} ", node="answer")
        await asyncio.sleep(pause_s)
    await bus.publish_progress(job, "answer", "completed", progress=90)
    await bus.publish_progress(job, "done", "completed", result={"answer": "ok"})


async def test_killing_a_router_mid_stream_loses_nothing(
    routers: Callable[[str, int], Awaitable[RouterProcess]], redis: Redis, bus: RedisEventBus
) -> None:
    subscriber = Subscriber(bus)
    await _kill_mid_stream(routers, redis, bus, subscriber, subscriber.subscribed(redis, bus))


async def test_killing_a_router_on_a_redis_cluster_loses_nothing(
    cluster_routers: Callable[[str, int], Awaitable[RouterProcess]],
    redis_cluster: RedisClusterNamespace,
) -> None:
    """The same on the local three-master cluster: one router lane per shard, SPUBLISH, the
    live feed's SSUBSCRIBE per shard, XAUTOCLAIM per shard (ADR 0020)."""
    cluster = redis_cluster.client
    bus = RedisEventBus(cluster, prefix=redis_cluster.prefix, limits=BusLimits(shards=SHARDS))
    subscriber = Subscriber(bus)
    await _kill_mid_stream(cluster_routers, cluster, bus, subscriber, subscriber.hears(bus))


async def _kill_mid_stream(
    routers: Callable[[str, int], Awaitable[RouterProcess]],
    redis: Any,
    bus: RedisEventBus,
    subscriber: Subscriber,
    subscribed: Awaitable[None],
) -> None:
    victim = await routers("router-a", 500)
    survivor = await routers("router-b", 500)
    await subscribed
    jobs = [f"job-{i}" for i in range(12)]
    tokens = 400  # ~4 s of streaming: the kill must land mid-stream even on an idle machine
    publishing = asyncio.gather(*(_emit_job(bus, job, tokens, 0.01) for job in jobs))
    try:
        await _wait_for(lambda: asyncio.sleep(0, len(subscriber.unique) > 300), "some traffic")
        # Freeze the victim while it is blocked in XREADGROUP: Redis keeps handing it entries
        # (they become its pending entries), then kill it for real. Retry until it holds some.
        for _ in range(20):
            victim.proc.send_signal(signal.SIGSTOP)
            await asyncio.sleep(0.3)
            if await _pending_of(redis, bus, victim.consumer) > 0:
                break
            victim.proc.send_signal(signal.SIGCONT)
            await asyncio.sleep(0.1)
        stranded = await _pending_of(redis, bus, victim.consumer)
        victim.proc.send_signal(signal.SIGKILL)
        await victim.proc.wait()
        assert stranded > 0, "the victim never held pending entries"
        assert not publishing.done(), "the kill must happen mid-stream"
        await publishing
    finally:
        if not publishing.done():
            publishing.cancel()

    expected = list(range(1, tokens + 5))
    await _wait_for(
        lambda: asyncio.sleep(0, all(subscriber.seqs(job) == expected for job in jobs)),
        "every event of every job at the subscriber",
    )
    await _wait_for(
        lambda: _pending_zero(redis, bus), "the victim's pending entries to be reclaimed"
    )
    await subscriber.close()

    assert await _pending_of(redis, bus, victim.consumer) == 0
    for job in jobs:
        history = (await bus.read_since(job, 0)).events
        assert [e.seq for e in history] == expected  # the job's own order is intact
        assert [subscriber.unique[(job, e.seq)] for e in history] == history
    metrics = await survivor.metrics()
    reclaimed = next(
        line for line in metrics.splitlines() if line.startswith("eco2_router_reclaimed_total")
    )
    assert int(reclaimed.split()[1]) >= stranded
    assert 'eco2_router_pending{shard="0"} 0' in metrics
    duplicates = len(subscriber.received) - len(subscriber.unique)
    print(f"stranded={stranded} delivered={len(subscriber.received)} duplicates={duplicates}")


async def _pending_zero(redis: Redis, bus: RedisEventBus) -> bool:
    return await _group_pending(redis, bus) == 0


class FlakyRouter(EventRouter):
    """Its first publish pipeline fails, as if Redis dropped the connection mid-batch."""

    failures = 1

    async def deliver(self, entries: Sequence[Entry]) -> int:
        if entries and self.failures:
            self.failures -= 1
            raise RedisConnectionError("injected: connection lost while publishing")
        return await super().deliver(entries)


async def test_a_failed_publish_is_not_acknowledged_and_is_delivered_later(
    redis: Redis, bus: RedisEventBus
) -> None:
    subscriber = Subscriber(bus)
    await subscriber.subscribed(redis, bus)
    config = RouterConfig(consumer="flaky", block_ms=50, retry_delay_s=0.3)
    router = FlakyRouter(redis, bus.keys, config)
    await router.ensure_groups()
    await _emit_job(bus, "j", 10)
    with pytest.raises(RedisConnectionError):
        await router.read_once()
    assert await _pending_of(redis, bus, "flaky") == 14  # read, not acknowledged
    assert subscriber.unique == {}
    running = asyncio.create_task(router.run())
    try:
        await _wait_for(lambda: asyncio.sleep(0, len(subscriber.unique) == 14), "redelivery")
        assert subscriber.seqs("j") == list(range(1, 15))
        await _wait_for(lambda: _pending_zero(redis, bus), "the ack")
    finally:
        router.stop()
        await running
        await subscriber.close()


async def test_metrics_report_lag_and_pending_per_shard(redis: Redis, bus: RedisEventBus) -> None:
    await bus.register_job("lagging", "owner", "scan")
    for stage in ("queued", "vision", "rule"):
        await bus.publish_progress("lagging", stage, "completed")
    shard = next(i for i in range(SHARDS) if bus.keys.shard(i) == _shard_key(bus, "lagging"))
    before = {m.shard: m for m in await collect(redis, bus.keys)}
    assert before[shard].lag == 3 and before[shard].pending == 0  # no router yet: all lag

    router = EventRouter(redis, bus.keys, RouterConfig(consumer="m", batch=2, block_ms=50))
    await router.ensure_groups()
    await redis.xreadgroup(ROUTER_GROUP, "m", {bus.keys.shard(shard): ">"}, count=2)
    middle = {m.shard: m for m in await collect(redis, bus.keys)}
    assert (middle[shard].lag, middle[shard].pending, middle[shard].length) == (1, 2, 3)
    assert middle[shard].consumers == 1

    text = render_prometheus(middle.values(), router.counters)
    assert f'eco2_router_lag{{shard="{shard}"}} 1' in text
    assert f'eco2_router_pending{{shard="{shard}"}} 2' in text
    assert "# TYPE eco2_router_delivered_total counter" in text

    await router.read_once()  # its own pending entries first
    await router.read_once()
    after = {m.shard: m for m in await collect(redis, bus.keys)}
    assert (after[shard].lag, after[shard].pending) == (0, 0)
    assert router.counters.delivered == 3


async def test_gone_consumers_are_forgotten(redis: Redis, bus: RedisEventBus) -> None:
    router = EventRouter(
        redis, bus.keys, RouterConfig(consumer="alive", forget_consumers_after_ms=100)
    )
    await router.ensure_groups()
    shard = bus.keys.shard(0)
    await redis.xgroup_createconsumer(shard, ROUTER_GROUP, "gone")
    await asyncio.sleep(0.2)
    await router.reclaim_once()
    names = [row["name"] for row in await redis.xinfo_consumers(shard, ROUTER_GROUP)]
    assert b"gone" not in names


def _shard_key(bus: RedisEventBus, job: str) -> str:

    return bus.keys.shard(shard_of(job, SHARDS))


async def test_real_mode_wiring_provides_the_redis_bus_and_runs_the_router(
    redis_url_and_prefix: RedisNamespace, redis: Redis
) -> None:
    from functions.kit.bootstrap import build_container, build_registry  # noqa: PLC0415
    from functions.kit.progress import Progress  # noqa: PLC0415
    from functions.kit.settings import Settings  # noqa: PLC0415
    from functions.kit.wiring import start_event_router  # noqa: PLC0415

    settings = Settings(
        mode="real", redis_url=redis_url_and_prefix.url, redis_prefix=redis_url_and_prefix.prefix
    )
    container = build_container(settings, build_registry())
    try:
        bus = await container.get("event_bus")
        assert isinstance(bus, RedisEventBus)
        router = await start_event_router(container)
        assert router is not None
        subscriber = Subscriber(bus)
        await subscriber.subscribed(redis, bus)
        await bus.register_job("wired", "alice", "scan")
        progress = Progress(bus, "wired")
        async with progress.stage("vision", start=10, end=40):
            pass
        await progress.done(result={"ok": True})
        await _wait_for(lambda: asyncio.sleep(0, len(subscriber.unique) == 3), "live events")
        assert subscriber.seqs("wired") == [1, 2, 3]
        await subscriber.close()
    finally:
        await container.close()
    assert router._stopping.is_set()


async def test_a_live_feed_subscribes_when_created_and_releases_its_connection(
    redis: Redis, bus: RedisEventBus
) -> None:
    channels = bus.keys.all_channels()

    async def subscribers() -> int:
        return sum(count for _, count in await redis.pubsub_numsub(*channels))

    never_iterated = bus.live()
    await _wait_for(lambda: _equals(subscribers(), len(channels)), "an eager subscription")
    await never_iterated.aclose()  # type: ignore[attr-defined]
    await _wait_for(lambda: _equals(subscribers(), 0), "the connection released")

    subscriber = Subscriber(bus)
    await subscriber.subscribed(redis, bus)
    await subscriber.close()
    await _wait_for(lambda: _equals(subscribers(), 0), "the connection released after use")


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected
