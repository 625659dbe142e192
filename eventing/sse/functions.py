"""The gateway's declaration for the local mesh, where it is mounted like an HTTP function.

Deployed, it is not a Knative Service but a persistent Deployment serving
`eventing.sse.app:create_gateway_app` (long-lived streams, scaled by KEDA on
`eco2_sse_connections`); `event_bus` comes from the bus's own `PROVIDERS`.
"""

from __future__ import annotations

from functions.kit.declare import Function, Kind, Scaling

SSE_GATEWAY = "sse-gateway"

FUNCTIONS = (
    Function(
        name=SSE_GATEWAY,
        domain="sse",
        kind=Kind.HTTP,
        handler="eventing.sse.api:router",
        route_prefix="/api/v1",
        scaling=Scaling(
            min_scale=1, max_scale=10, target_concurrency=1000, container_concurrency=5000
        ),
        description="Streams each scan/chat job's progress and tokens to its owner, with resume.",
    ),
)
