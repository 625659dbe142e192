"""Redis key names of the event bus, shared by the adapter, the router and the tests.

Every key of a shard — its router stream, its Pub/Sub channel and the per-job keys of each job
that hashes to it — carries the shard's hash tag (`{s<n>}`), so on Redis Cluster they all live
in one slot: the publish script writes a job's keys and its shard stream atomically, and the
router reads one shard with one command (ADR 0006, ADR 0020). Spreading load over a cluster's
primaries therefore means enough shards (`ECO2_BUS_SHARDS`, a few per primary).

| key | type | what |
|---|---|---|
| `<prefix>bus:{s<n>}:job:<id>:meta` | hash | owner, kind, seq, last progress, dedupe marks |
| `<prefix>bus:{s<n>}:job:<id>:history` | stream | the job's replayable history (ids `<seq>-0`) |
| `<prefix>bus:{s<n>}:job:<id>:state` | hash | the latest progress entry (forward only) |
| `<prefix>bus:{s<n>}:job:<id>:text` | string | every token's content (the recovery snapshot) |
| `<prefix>bus:{s<n>}:shard` | stream | the router's input (group `router`) |
| `<prefix>bus:{s<n>}:live` | channel | what the router releases (sharded Pub/Sub on Cluster) |
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

ROUTER_GROUP = "router"
_SHARD_TAG = re.compile(r"\{s(\d+)\}")


def shard_of(job_id: str, shards: int) -> int:
    """A stable shard for a job (the same in every process, unlike `hash()`)."""
    return zlib.crc32(job_id.encode()) % shards


@dataclass(frozen=True, slots=True)
class BusKeys:
    prefix: str  # the deployment's Redis prefix, e.g. "eco2:"
    shards: int

    def __post_init__(self) -> None:
        if "{" in self.prefix or "}" in self.prefix:
            raise ValueError("a Redis prefix must not contain braces (they would be the hash tag)")

    @property
    def root(self) -> str:
        return f"{self.prefix}bus:"

    def tag(self, index: int) -> str:
        """The hash-tagged part every key of shard `index` starts with."""
        return f"{self.root}{{s{index}}}"

    def _job(self, job_id: str) -> str:
        return f"{self.tag(shard_of(job_id, self.shards))}:job:{job_id}"

    def meta(self, job_id: str) -> str:
        """Hash: owner, kind, seq, last progress, last token seq, terminal flag, dedupe marks."""
        return f"{self._job(job_id)}:meta"

    def history(self, job_id: str) -> str:
        """Stream with ids `<seq>-0`: the job's replayable history (MAXLEN ~)."""
        return f"{self._job(job_id)}:history"

    def state(self, job_id: str) -> str:
        """Hash: the entry fields of the job's latest progress event (forward only)."""
        return f"{self._job(job_id)}:state"

    def text(self, job_id: str) -> str:
        """String: every token's content, appended (the `token_recovery` snapshot)."""
        return f"{self._job(job_id)}:text"

    def job_keys(self, job_id: str) -> list[str]:
        return [self.meta(job_id), self.history(job_id), self.state(job_id), self.text(job_id)]

    def job_shard(self, job_id: str) -> str:
        """The shard stream a job's entries go to (same slot as the job's keys)."""
        return self.shard(shard_of(job_id, self.shards))

    def shard(self, index: int) -> str:
        """Stream the router consumes (consumer group `router`); entries carry a `job` field."""
        return f"{self.tag(index)}:shard"

    def channel(self, index: int) -> str:
        """Pub/Sub channel the router publishes a shard's entries to."""
        return f"{self.tag(index)}:live"

    def all_shards(self) -> list[str]:
        return [self.shard(i) for i in range(self.shards)]

    def all_channels(self) -> list[str]:
        return [self.channel(i) for i in range(self.shards)]

    def shard_index(self, shard_key: str) -> int:
        found = _SHARD_TAG.search(shard_key[len(self.root) :])
        if found is None:
            raise ValueError(f"{shard_key!r} is not a shard stream of this bus")
        return int(found.group(1))
