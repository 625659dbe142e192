"""The gateway's counters, served as Prometheus text on `GET /metrics`.

`eco2_sse_connections` is the gauge the KEDA scaler reads (open streams on this replica);
the counters say where deliveries go: frames by kind, duplicates skipped (router replicas may
deliver twice), slow-client drops and resyncs, rejected subscriptions, live-feed restarts.
Plain integers in one object: the gateway is one event loop, so no locking is needed, and no
client library is pulled in for a handful of series.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

FRAME_KINDS = ("progress", "token", "token_recovery", "keepalive", "error", "farewell")
REJECT_REASONS = ("not_found", "draining", "unavailable")  # 401s are answered before the gateway


@dataclass
class GatewayMetrics:
    connections: int = 0
    connections_total: int = 0
    live_events: int = 0  # events received from the live feed (all jobs)
    duplicates: int = 0  # events skipped because the client already had their seq
    dropped: int = 0  # queued events dropped for slow clients (they resync from history)
    resyncs: int = 0
    recoveries: int = 0  # trimmed history answered with state + token snapshot
    live_restarts: int = 0
    frames: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    def render(self) -> str:
        lines: list[str] = []

        def series(name: str, kind: str, help_: str, values: dict[str, int]) -> None:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(f"{name}{labels} {value}" for labels, value in values.items())

        series("eco2_sse_connections", "gauge", "Open SSE streams.", {"": self.connections})
        counters = {
            "eco2_sse_connections_total": (self.connections_total, "SSE streams accepted."),
            "eco2_sse_live_events_total": (self.live_events, "Events read from the live feed."),
            "eco2_sse_duplicates_skipped_total": (self.duplicates, "Already-sent seqs skipped."),
            "eco2_sse_dropped_events_total": (self.dropped, "Events dropped for slow clients."),
            "eco2_sse_resyncs_total": (self.resyncs, "Slow clients re-read from history."),
            "eco2_sse_recoveries_total": (self.recoveries, "Trimmed histories recovered."),
            "eco2_sse_live_restarts_total": (self.live_restarts, "Live feed resubscriptions."),
        }
        for name, (value, help_) in counters.items():
            series(name, "counter", help_, {"": value})
        series(
            "eco2_sse_frames_delivered_total",
            "counter",
            "SSE frames written, by kind.",
            {f'{{kind="{k}"}}': self.frames[k] for k in FRAME_KINDS},
        )
        series(
            "eco2_sse_rejected_total",
            "counter",
            "Subscriptions refused, by reason.",
            {f'{{reason="{r}"}}': self.rejected[r] for r in REJECT_REASONS},
        )
        return "\n".join(lines) + "\n"
