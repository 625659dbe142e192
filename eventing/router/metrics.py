"""Router metrics: per shard lag and pending entries, rendered in the Prometheus text format.

`lag` is the number of shard-stream entries not yet delivered to the router group (XINFO
GROUPS `lag`, Redis ≥ 7); when Redis cannot compute it (entries deleted below the group's
position) the stream length after the last delivered id is counted instead, capped.
`pending` is delivered but not yet acknowledged (a live replica's batch in hand, or a dead
replica's entries waiting for XAUTOCLAIM). KEDA's redis-streams scaler reads the same figures
from Redis itself; these are for dashboards and alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from redis.exceptions import ResponseError

from eventing.bus.keys import ROUTER_GROUP, BusKeys
from eventing.redis_clients import RedisClient
from eventing.router.router import RouterCounters

LAG_COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class ShardMetrics:
    shard: int
    length: int  # entries kept in the shard stream
    lag: int  # entries not yet delivered to the group
    pending: int  # delivered, not yet acknowledged
    consumers: int


async def collect(
    redis: RedisClient, keys: BusKeys, group: str = ROUTER_GROUP
) -> list[ShardMetrics]:
    found = []
    for index in range(keys.shards):
        shard = keys.shard(index)
        async with redis.pipeline(transaction=False) as pipe:
            pipe.xlen(shard)
            pipe.xinfo_groups(shard)
            try:
                length, groups = await pipe.execute()
            except ResponseError:  # no stream yet: nothing to route
                found.append(ShardMetrics(index, 0, 0, 0, 0))
                continue
        mine = next((g for g in groups if _str(g.get("name")) == group), None)
        if mine is None:  # no router has started yet: everything is lag
            found.append(ShardMetrics(index, length, length, 0, 0))
            continue
        lag = mine.get("lag")
        if lag is None:
            after = _str(mine["last-delivered-id"])
            undelivered = await redis.xrange(shard, min=f"({after}", count=LAG_COUNT_CAP)
            lag = len(undelivered or ())
        found.append(
            ShardMetrics(index, length, int(lag), int(mine["pending"]), int(mine["consumers"]))
        )
    return found


_GAUGES = (
    ("length", "eco2_router_stream_length", "Entries kept in the shard stream."),
    ("lag", "eco2_router_lag", "Shard stream entries not yet delivered to the router group."),
    ("pending", "eco2_router_pending", "Entries delivered to a router, not yet acknowledged."),
    ("consumers", "eco2_router_consumers", "Consumers (router replicas) known to the group."),
)
_COUNTERS = (
    ("delivered", "eco2_router_delivered_total", "Entries published and acknowledged here."),
    ("reclaimed", "eco2_router_reclaimed_total", "Entries taken over from dead consumers."),
    ("trimmed", "eco2_router_trimmed_total", "Pending entries already trimmed from a stream."),
    ("errors", "eco2_router_errors_total", "Batches that failed and were left pending."),
)


def render_prometheus(shards: Iterable[ShardMetrics], counters: RouterCounters | None) -> str:
    """The Prometheus text exposition format (version 0.0.4) of the router's metrics."""
    shards = list(shards)
    lines: list[str] = []
    for attr, name, help_text in _GAUGES:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f'{name}{{shard="{s.shard}"}} {getattr(s, attr)}' for s in shards]
    if counters is not None:
        for attr, name, help_text in _COUNTERS:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            lines.append(f"{name} {getattr(counters, attr)}")
    return "\n".join(lines) + "\n"


def _str(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
