"""The kit's own functions, declared in one light module (handlers are imported lazily)."""

from __future__ import annotations

from functions.kit import wiring
from functions.kit.container import Provider
from functions.kit.declare import Delivery, Exposure, Function, Kind, Scaling, Trigger

CANARY_REQUESTED = "kr.eco2.mesh.canary.requested.v1"
CANARY_ECHOED = "kr.eco2.mesh.canary.echoed.v1"
DEAD_LETTERS_PATH = "/internal/dead-letters"

FUNCTIONS = (
    Function(
        name="mesh-canary",
        domain="kit",
        handler="functions.kit.canary:echo",
        trigger=Trigger(type=CANARY_REQUESTED),
        replies=(CANARY_ECHOED,),
        delivery=Delivery(retries=2, base_delay_s=0.5, timeout_s=5),
        scaling=Scaling(min_scale=0, max_scale=2, target_concurrency=50, container_concurrency=100),
        description="Echoes mesh probes so operators can time the broker path end to end.",
    ),
    Function(
        name="mesh-dead-letters",
        domain="kit",
        kind=Kind.HTTP,
        handler="functions.kit.deadletters:router",
        route_prefix=DEAD_LETTERS_PATH,
        exposure=Exposure.INTERNAL,  # Knative's dispatchers post here; nobody outside may
        scaling=Scaling(min_scale=1, max_scale=2, target_concurrency=50, container_concurrency=100),
        description="Dead-letter sink for Knative triggers; keeps the cause for replay.",
    ),
)

# Only the deployed sink builds a broker for itself; the local mesh provides its own.
# The event bus (progress and tokens for SSE): memory in embedded mode, Redis in real mode.
PROVIDERS: dict[str, Provider] = {
    "dead_letters": wiring.dead_letters,
    "event_bus": wiring.event_bus,
}
