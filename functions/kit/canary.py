"""The mesh canary: a function that echoes a probe, proving triggers, dispatch and replies work.

Operators (and the `eco2 canary` command) publish a probe and time its echo end to end through
the broker, the same path every domain event takes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from eventing.catalog import CanaryEchoed, CanaryRequested
from functions.kit.declare import Delivery, Function, Scaling, Trigger

REQUESTED = "kr.eco2.mesh.canary.requested.v1"
ECHOED = "kr.eco2.mesh.canary.echoed.v1"


async def echo(data: CanaryRequested) -> CanaryEchoed:
    return CanaryEchoed(probe_id=data.probe_id, sent_at=data.sent_at, echoed_at=datetime.now(UTC))


FUNCTIONS = (
    Function(
        name="mesh-canary",
        domain="kit",
        handler="functions.kit.canary:echo",
        trigger=Trigger(type=REQUESTED),
        replies=(ECHOED,),
        delivery=Delivery(retries=2, base_delay_s=0.5, timeout_s=5),
        scaling=Scaling(min_scale=0, max_scale=2, target_concurrency=50, container_concurrency=100),
        description="Echoes mesh probes so operators can time the broker path end to end.",
    ),
)
