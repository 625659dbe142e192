"""The two Redis clients every adapter accepts: one server (`Redis`) or a Redis Cluster
(`RedisCluster`). The composition root picks one from settings (ADR 0020); the adapters keep
their multi-key commands, scripts and transactions inside one hash slot so both work, and ask
`is_cluster` only where the two differ in kind (Pub/Sub, multi-stream reads)."""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import Redis, RedisCluster

RedisClient: TypeAlias = "Redis | RedisCluster"


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)
