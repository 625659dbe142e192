"""The event router: shard streams → Pub/Sub, at least once, across any number of replicas.

Every replica is a consumer of one group (`router`) over all shard streams (one XREADGROUP
over all of them on one Redis server; one loop per shard on Redis Cluster). A batch read with
XREADGROUP is published to the shards' Pub/Sub channels in one pipeline and acknowledged
(XACK) only after the pipeline succeeded, so a crash or a Redis error between read and ack
leaves the entries pending, never lost:

- a replica that restarts under the same consumer name first re-reads its own pending entries
  (XREADGROUP from id 0), and so does a replica whose publish failed;
- entries pending on a consumer that died are taken over with XAUTOCLAIM once they have been
  idle for `claim_min_idle_ms`, by whichever replica gets there first, and delivered again;
- consumers that are gone (no pending entries, idle for `forget_consumers_after_ms`) are
  deleted from the group so the consumer list does not grow with every pod.

Delivery is therefore at least once: a replica killed after PUBLISH and before XACK repeats
those events, and reclaimed entries arrive after newer ones. Readers dedupe by (job, seq) and
fill gaps from the history (see `RedisEventBus.live`). The per-job state is not written here:
the publish script already keeps it, atomically with the history (ADR 0006).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import ResponseError

from eventing.bus.entries import decode
from eventing.bus.keys import ROUTER_GROUP, BusKeys
from eventing.redis_clients import REDIS_ERRORS, RedisClient, is_cluster

log = logging.getLogger(__name__)

Entry = tuple[str, str, dict[str, str] | None]  # shard key, entry id, fields (None: trimmed)


def default_consumer_name(host: str | None = None) -> str:
    """The pod name in Kubernetes (the host its deployable passes from its settings, e.g.
    HOSTNAME), plus the pid for several routers on one host."""
    return f"{host or socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class RouterConfig:
    group: str = ROUTER_GROUP
    consumer: str = field(default_factory=default_consumer_name)
    batch: int = 256  # entries per XREADGROUP / XAUTOCLAIM call
    block_ms: int = 1_000  # XREADGROUP BLOCK: how long an idle read waits
    claim_min_idle_ms: int = 10_000  # a pending entry this idle belongs to a dead consumer
    claim_every_s: float = 2.0
    forget_consumers_after_ms: int = 3_600_000
    retry_delay_s: float = 0.5  # after a Redis error


@dataclass
class RouterCounters:
    delivered: int = 0  # entries published and acknowledged by this process
    reclaimed: int = 0  # entries taken over from other consumers (XAUTOCLAIM)
    trimmed: int = 0  # pending entries already trimmed from the stream (acknowledged, lost)
    errors: int = 0  # failed batches (left pending, delivered later)


class EventRouter:
    def __init__(
        self, redis: RedisClient, keys: BusKeys, config: RouterConfig | None = None
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.config = config or RouterConfig()
        self.counters = RouterCounters()
        self._caught_up: set[str] = set()  # lanes (by first shard) whose backlog is re-read
        self._stopping = asyncio.Event()
        self._groups_ready = False

    # ------------------------------------------------------------------ setup

    async def ensure_groups(self) -> None:
        """Create the group on every shard (from id 0: nothing published before the first
        router started is skipped). Idempotent."""
        for shard in self.keys.all_shards():
            try:
                await self.redis.xgroup_create(shard, self.config.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._groups_ready = True

    # ------------------------------------------------------------------ one step each

    def lanes(self) -> list[list[str]]:
        """The shard streams each XREADGROUP reads: all at once on one server; one each on
        Redis Cluster, where a multi-key read must stay in one slot (ADR 0020)."""
        shards = self.keys.all_shards()
        return [[shard] for shard in shards] if is_cluster(self.redis) else [shards]

    async def read_once(self, lane: Sequence[str] | None = None) -> int:
        """Read one batch of `lane` (default: every lane in turn), deliver, ack."""
        if lane is None:
            return sum([await self.read_once(each) for each in self.lanes()])
        if not self._groups_ready:
            await self.ensure_groups()
        name = lane[0]
        own_backlog = name not in self._caught_up  # re-read our own pending entries first
        reply: Any = await self.redis.xreadgroup(
            self.config.group,
            self.config.consumer,
            dict.fromkeys(lane, "0" if own_backlog else ">"),
            count=self.config.batch,
            block=None if own_backlog else self.config.block_ms,
        )
        entries: list[Entry] = []
        for shard, items in reply or []:
            shard_key = _str(shard)
            for entry_id, fields in items:
                entries.append((shard_key, _str(entry_id), decode(fields) if fields else None))
        if own_backlog and not entries:
            self._caught_up.add(name)  # our pending entries are done: now the new ones
            return await self.read_once(lane)
        return await self.deliver(entries)

    async def reclaim_once(self) -> int:
        """Take over entries idle on other (dead) consumers, deliver and ack them."""
        if not self._groups_ready:
            await self.ensure_groups()
        total = 0
        for shard in self.keys.all_shards():
            cursor = "0-0"
            while True:
                reply = await self.redis.xautoclaim(
                    shard,
                    self.config.group,
                    self.config.consumer,
                    self.config.claim_min_idle_ms,
                    start_id=cursor,
                    count=self.config.batch,
                )
                cursor, claimed = _str(reply[0]), reply[1]
                # Redis 7 drops entries trimmed meanwhile from the PEL and lists their ids.
                self.counters.trimmed += len(reply[2]) if len(reply) > 2 else 0
                entries: list[Entry] = [
                    (shard, _str(i), decode(f) if f else None) for i, f in claimed
                ]
                if entries:
                    log.info("router %s reclaimed %d entries of %s", self.config.consumer,
                             len(entries), shard)  # fmt: skip
                    self.counters.reclaimed += len(entries)
                    total += await self.deliver(entries)
                if cursor == "0-0":
                    break
        await self._forget_gone_consumers()
        return total

    async def deliver(self, entries: Sequence[Entry]) -> int:
        """PUBLISH every entry to its shard's channel, then XACK them: ack only after success.
        On Redis Cluster, SPUBLISH: the channel is served by its slot's primary only."""
        if not entries:
            return 0
        sharded = is_cluster(self.redis)
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard, _, fields in entries:
                if fields is not None:
                    channel = self.keys.channel(self.keys.shard_index(shard))
                    payload = json.dumps(fields, ensure_ascii=False)
                    if sharded:
                        pipe.spublish(channel, payload)
                    else:
                        pipe.publish(channel, payload)
            await pipe.execute()
        by_shard: dict[str, list[str]] = {}
        for shard, entry_id, fields in entries:
            by_shard.setdefault(shard, []).append(entry_id)
            if fields is None:
                self.counters.trimmed += 1
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard, ids in by_shard.items():
                pipe.xack(shard, self.config.group, *ids)
            await pipe.execute()
        delivered = sum(1 for *_, fields in entries if fields is not None)
        self.counters.delivered += delivered
        return delivered

    async def _forget_gone_consumers(self) -> None:
        for shard in self.keys.all_shards():
            for consumer in await self.redis.xinfo_consumers(shard, self.config.group):
                name = _str(consumer["name"])
                idle = int(consumer.get("inactive", consumer.get("idle", 0)) or 0)
                if (
                    name != self.config.consumer
                    and int(consumer["pending"]) == 0
                    and idle > self.config.forget_consumers_after_ms
                ):
                    await self.redis.xgroup_delconsumer(shard, self.config.group, name)

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Read, deliver and reclaim until `stop()`; Redis errors are retried, never fatal.
        One loop per lane (on Redis Cluster, per shard); the first also reclaims. The groups
        are made first, by one caller: a fresh cluster client must not start N at once."""
        while not self._groups_ready and not self._stopping.is_set():
            try:
                await self.ensure_groups()
            except REDIS_ERRORS as exc:
                await self._failed(exc)
        await asyncio.gather(
            *(self._run_lane(lane, reclaims=i == 0) for i, lane in enumerate(self.lanes()))
        )

    async def _failed(self, exc: BaseException) -> None:
        self.counters.errors += 1
        log.warning("router %s: %r; retrying", self.config.consumer, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.config.retry_delay_s)

    async def _run_lane(self, lane: list[str], *, reclaims: bool) -> None:
        loop = asyncio.get_running_loop()
        next_claim = 0.0
        while not self._stopping.is_set():
            try:
                if reclaims and loop.time() >= next_claim:
                    await self.reclaim_once()
                    next_claim = loop.time() + self.config.claim_every_s
                await self.read_once(lane)
            except REDIS_ERRORS as exc:
                self._caught_up.discard(lane[0])  # what we read but could not ack comes first
                self._groups_ready = False  # the streams may have been recreated
                await self._failed(exc)

    def stop(self) -> None:
        """Finish the batch in hand, then return from `run()` (at most one block_ms later)."""
        self._stopping.set()


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
