"""The gateway's knobs. The deployable fills them from the one `Settings` (`ECO2_SSE_*`),
so the gateway Deployment can be tuned without touching any function."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    keepalive_s: float = 15.0  # contract: at least every 30 s, and no gap over 60 s
    history_poll_s: float = 60.0  # an idle stream re-reads history this often (lost `done`)
    queue_size: int = 256  # live events buffered per client before it is resynced from history
    page_size: int = 500  # events per history read while catching up
    idle_timeout_s: float = 600.0  # a job silent this long ends its stream with error timeout
    drain_grace_s: float = 5.0  # how long draining streams get to say goodbye before cancel
    max_concurrent_reads: int = 64  # bus reads in flight (bounds Redis connections)
    retry_min_ms: int = 1_000  # `retry:` sent on drain, jittered so a replica's clients
    retry_max_ms: int = 10_000  # come back over ~10 s (a replica resumes a few hundred/s)

    def __post_init__(self) -> None:
        if self.keepalive_s <= 0 or self.keepalive_s > 30:
            raise ValueError("keepalive_s must be within (0, 30]")
        if min(self.queue_size, self.page_size, self.max_concurrent_reads) < 1:
            raise ValueError("queue_size, page_size and max_concurrent_reads must be >= 1")
        if not 0 < self.retry_min_ms <= self.retry_max_ms:
            raise ValueError("need 0 < retry_min_ms <= retry_max_ms")
