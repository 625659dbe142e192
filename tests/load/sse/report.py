"""The SSE bench's summary of one phase: what the clients saw and what the gateway counted."""

from __future__ import annotations

import argparse
from typing import Any, Protocol

from tests.load.sse import procs


class Measured(Protocol):
    held: int
    start_s: float
    ramp_s: float
    rss_idle: float
    rss_base: float
    rss_held: float
    peak_rss: float
    peak_conn: float
    cpu_used: float
    wall: float
    publish_ns: int
    published: dict[str, Any]
    others: dict[str, float]
    gateway: dict[str, float]
    probe_ms: list[float]


def errors_by_kind(results: list[dict[str, Any]]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for r in results:
        for kind, n in r["error_kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n
    return kinds


def per_connection_kib(m: Measured) -> float:
    """Gateway memory per held connection, above the gateways' idle RSS. Not above the phase's
    start: after an earlier phase the allocator keeps the memory its clients used (CPython does
    not hand freed arenas back), the next phase's connections reuse it, and held - start then
    reads as almost nothing per connection."""
    return round((m.rss_held - m.rss_idle) * 1024 / max(1, m.held), 1)


def summarize(
    name: str, args: argparse.Namespace, results: list[dict[str, Any]], m: Measured
) -> dict[str, Any]:
    keys = ("frames", "tokens", "in_order", "duplicates", "gaps", "recoveries", "done",
            "reconnects", "errors", "unfinished")  # fmt: skip
    total = {k: sum(r[k] for r in results) for k in keys}
    latencies = sorted(x for r in results for x in r["latencies_ms"])
    resumes = sorted(x for r in results for x in r["resume_ms"])
    headers = sorted(x for r in results for x in r["headers_ms"])
    last_ns = max((r["last_ns"] for r in results), default=m.publish_ns)
    window_s = max(1e-9, (last_ns - m.publish_ns) / 1e9)
    expected = args.clients * args.tokens
    exact = total["in_order"] == expected and total["done"] == args.clients
    return {
        "phase": name,
        "clients / jobs / tokens per job": f"{args.clients} / {args.jobs} / {args.tokens}",
        "connections held (clients) / gateway peak": f"{m.held} / {int(m.peak_conn)}",
        "client start s / ramp s (first to last connection)": (f"{m.start_s:.1f} / {m.ramp_s:.1f}"),
        "token events expected / received in order": f"{expected} / {total['in_order']}",
        "duplicates / gaps / recoveries": (
            f"{total['duplicates']} / {total['gaps']} / {total['recoveries']}"
        ),
        "done received": total["done"],
        "reconnects": total["reconnects"],
        "client errors / unfinished": f"{total['errors']} / {total['unfinished']}",
        "client errors by kind": errors_by_kind(results),
        "gateway dropped / resyncs / duplicates / recoveries / 503s": " / ".join(
            str(int(v)) for v in m.gateway.values()
        ),
        "token events delivered/s (publish window)": round(total["tokens"] / window_s),
        "frames delivered (all kinds)": total["frames"],
        "published events/s": round(m.published["published"] / m.published["seconds"]),
        "latency ms p50 / p90 / p99 / max": " / ".join(
            f"{procs.percentile(latencies, q):.1f}" for q in (0.5, 0.9, 0.99, 1.0)
        ),
        "resume ms p50 / p99 (cut -> first frame after reconnecting, incl. 0-200 ms pause)": (
            " / ".join(f"{procs.percentile(resumes, q):.1f}" for q in (0.5, 0.99))
        ),
        "subscribe ms p50 / p99 (request -> response headers)": " / ".join(
            f"{procs.percentile(headers, q):.1f}" for q in (0.5, 0.99)
        ),
        "gateway RSS MiB idle / phase start / held / peak": (
            f"{m.rss_idle:.0f} / {m.rss_base:.0f} / {m.rss_held:.0f} / {m.peak_rss:.0f}"
        ),
        "gateway RSS per connection KiB (held - idle)": per_connection_kib(m),
        "gateway /metrics answer ms p50 / max (its event loop's lag)": " / ".join(
            f"{procs.percentile(sorted(m.probe_ms), q):.0f}" for q in (0.5, 1.0)
        ),
        "gateway CPU % (publish window)": round(100 * m.cpu_used / max(1e-9, m.wall)),
        "router / redis-server CPU % (publish window)": " / ".join(
            str(round(100 * m.others[k] / max(1e-9, m.wall))) for k in ("router", "redis")
        ),
        "load clients CPU s (all processes, whole phase)": round(
            sum(r["cpu_s"] for r in results), 1
        ),
        "every token exactly once, in order": exact
        and not (total["duplicates"] or total["gaps"] or total["unfinished"]),
    }
