"""The cluster's node pools and which pool each generated workload is placed on (ADR 0017).

Every pool's nodes carry the label `eco2.kr/pool=<pool>` and the taint
`eco2.kr/pool=<pool>:NoSchedule` (terraform/ makes them; the names are agreed with it), so a
pod lands on a pool only when it both selects the label and tolerates the taint. The
generated manifests take their placement from here; knative/validate refuses any other pool.
"""

from __future__ import annotations

import enum
from typing import Any

POOL_LABEL = "eco2.kr/pool"


class Pool(enum.Enum):
    CONTROL_PLANE = "control-plane"  # Kubernetes itself; operators' controllers may tolerate it
    INGRESS = "ingress"  # Istio ingress gateway and the Go ext-authz
    API = "api"  # HTTP Knative Services and the SSE gateway
    WORKERS = "workers"  # event Knative Services and the event router
    DATA = "data"  # PostgreSQL, Redis, RabbitMQ (operator resources)
    OBSERVABILITY = "observability"  # Prometheus, Grafana, the OTel collector, Tempo


NODES: dict[Pool, int] = {
    Pool.CONTROL_PLANE: 3,
    Pool.INGRESS: 3,
    Pool.API: 6,
    Pool.WORKERS: 6,
    Pool.DATA: 3,
    Pool.OBSERVABILITY: 3,
}


def node_selector(pool: Pool) -> dict[str, str]:
    return {POOL_LABEL: pool.value}


def tolerations(pool: Pool) -> list[dict[str, Any]]:
    """Tolerate exactly this pool's taint (not every `eco2.kr/pool` taint)."""
    return [{"key": POOL_LABEL, "operator": "Equal", "value": pool.value, "effect": "NoSchedule"}]


def placement(pool: Pool) -> dict[str, Any]:
    """The pod-spec fields that put a pod on `pool` and nowhere else."""
    return {"nodeSelector": node_selector(pool), "tolerations": tolerations(pool)}
