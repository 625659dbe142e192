"""Redis key names of the event bus, shared by the adapter, the router and the tests.

Per-job keys carry the job id in a hash tag (`{job}`) so they live in one Cluster slot; the
publish script also writes a shard stream, so it needs a single Redis primary (ADR 0006).
"""

from __future__ import annotations

from dataclasses import dataclass

ROUTER_GROUP = "router"


@dataclass(frozen=True, slots=True)
class BusKeys:
    prefix: str  # the deployment's Redis prefix, e.g. "eco2:"
    shards: int

    @property
    def root(self) -> str:
        return f"{self.prefix}bus:"

    def meta(self, job_id: str) -> str:
        """Hash: owner, kind, seq, last progress, last token seq, terminal flag, dedupe marks."""
        return f"{self.root}job:{{{job_id}}}:meta"

    def history(self, job_id: str) -> str:
        """Stream with ids `<seq>-0`: the job's replayable history (MAXLEN ~)."""
        return f"{self.root}job:{{{job_id}}}:history"

    def state(self, job_id: str) -> str:
        """Hash: the entry fields of the job's latest progress event (forward only)."""
        return f"{self.root}job:{{{job_id}}}:state"

    def text(self, job_id: str) -> str:
        """String: every token's content, appended (the `token_recovery` snapshot)."""
        return f"{self.root}job:{{{job_id}}}:text"

    def job_keys(self, job_id: str) -> list[str]:
        return [self.meta(job_id), self.history(job_id), self.state(job_id), self.text(job_id)]

    def shard(self, index: int) -> str:
        """Stream the router consumes (consumer group `router`); entries carry a `job` field."""
        return f"{self.root}shard:{index}"

    def channel(self, index: int) -> str:
        """Pub/Sub channel the router publishes a shard's entries to."""
        return f"{self.root}live:{index}"

    def all_shards(self) -> list[str]:
        return [self.shard(i) for i in range(self.shards)]

    def all_channels(self) -> list[str]:
        return [self.channel(i) for i in range(self.shards)]

    def shard_index(self, shard_key: str) -> int:
        return int(shard_key.rsplit(":", 1)[1])
