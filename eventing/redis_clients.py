"""The two Redis clients every adapter accepts: one server (`Redis`) or a Redis Cluster
(`RedisCluster`). The composition root picks one from settings (ADR 0020); the adapters keep
their multi-key commands, scripts and transactions inside one hash slot so both work, and ask
`is_cluster` only where the two differ in kind (Pub/Sub, multi-stream reads)."""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisClusterException, RedisError

RedisClient: TypeAlias = "Redis | RedisCluster"


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)


# What "Redis is unavailable" raises: redis-py's errors, socket errors, and the cluster
# client's own (e.g. SlotNotCoveredError while a failover is in progress), which do not
# derive from RedisError. Adapters translate all of them into their package's error.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, RedisClusterException, OSError)
