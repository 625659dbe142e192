"""The mesh canary: a function that echoes a probe, proving triggers, dispatch and replies work.

Operators (and the `eco2 canary` command) publish a probe and time its echo end to end through
the broker, the same path every domain event takes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from eventing.events.mesh import CanaryEchoed, CanaryRequested


async def echo(data: CanaryRequested) -> CanaryEchoed:
    return CanaryEchoed(probe_id=data.probe_id, sent_at=data.sent_at, echoed_at=datetime.now(UTC))
