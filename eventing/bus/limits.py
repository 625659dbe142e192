"""The bus's retention and sharding limits (docs/adr/0006-event-streams.md explains the figures).

The composition root builds them from `Settings` (`ECO2_BUS_*`); tests pass small ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BusLimits:
    shards: int = 4  # shard streams / Pub/Sub channels (a job's shard: crc32(job_id) % shards)
    history_maxlen: int = 2_000  # events kept per job for replay (older ones: snapshot fallback)
    shard_maxlen: int = 100_000  # entries kept per shard stream for the router (approximate)
    ttl_s: int = 3_600  # every per-job key, refreshed on each publish
    terminal_ttl_s: int = 600  # once the job is done: late subscribers still replay it

    def __post_init__(self) -> None:
        if self.shards < 1 or self.history_maxlen < 1 or self.shard_maxlen < 1:
            raise ValueError("shards and stream lengths must be at least 1")
        if self.ttl_s < 1 or self.terminal_ttl_s < 1:
            raise ValueError("TTLs must be at least 1 s")
