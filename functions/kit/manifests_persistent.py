"""Persistent workloads: the SSE gateway and the event router, as Deployments scaled by KEDA.

Neither may scale to zero: SSE streams are long-lived (Knative Serving would cut them, and a
cold gateway would stall every client), and the router must always drain the shard streams.
Each is declared once below (`Persistent`) and rendered into `knative/generated/persistent/`:
an `apps/v1 Deployment`, a `keda.sh/v1alpha1 ScaledObject` (minReplicaCount ≥ 1), and for the
gateway a ClusterIP `v1 Service` the edge routes `/api/v1/{scan,chat}/{job}/events` to.

- gateway: a `prometheus` trigger on open streams per pod (`eco2_sse_connections`, the gauge
  the gateway exports), scale-down slowed down so draining replicas do not churn clients;
- router: one `redis-streams` trigger per shard stream on the consumer group's `lagCount`
  (entries not yet delivered; Redis ≥ 7). The shard streams are named from the same
  `Settings` defaults and `BusKeys` the code uses, so the triggers follow the code.

No address is written here: Prometheus's URL and Redis's host:port come from `Endpoints`
(manifests_cluster; overridable under `cluster:` in knative/overlays/scaling.yaml), Redis's
through the `eco2-redis-scaler` TriggerAuthentication. Each workload runs on its node pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eventing.bus.keys import ROUTER_GROUP, BusKeys
from functions.kit.manifests_cluster import (
    REDIS_SCALER_AUTH,
    SECURITY_CONTEXT,
    Endpoints,
    env_from,
    settings_env,
)
from functions.kit.pools import Pool, placement
from functions.kit.settings import Settings

NAMESPACE = "eco2"
PORT = 8080


@dataclass(frozen=True)
class Persistent:
    """A workload that runs all the time: a Deployment plus its KEDA ScaledObject."""

    name: str
    description: str
    command: tuple[str, ...]
    triggers: tuple[Mapping[str, Any], ...]
    min_replicas: int
    max_replicas: int
    requests: Mapping[str, str]
    limits: Mapping[str, str]
    pool: Pool
    env: Mapping[str, str] = field(default_factory=dict)
    termination_grace_s: int = 30
    pre_stop_sleep_s: int = 0  # let endpoints forget the pod before it stops accepting
    service: bool = False  # a ClusterIP Service in front (the gateway is reached over HTTP)
    scale_down: Mapping[str, Any] | None = None  # HPA behavior.scaleDown

    def __post_init__(self) -> None:
        if self.min_replicas < 1:
            raise ValueError(f"{self.name}: a persistent workload never scales to zero")
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"{self.name}: max_replicas < min_replicas")
        if not self.triggers:
            raise ValueError(f"{self.name}: a ScaledObject needs at least one trigger")


def connections_trigger(workload: str, per_pod: int) -> Mapping[str, Any]:
    """Open SSE streams, averaged per replica (the prometheus scaler's AverageValue)."""
    query = f'sum(eco2_sse_connections{{namespace="{NAMESPACE}",pod=~"{workload}-.*"}})'
    return {
        "type": "prometheus",
        "name": "connections",
        "metricType": "AverageValue",
        "metadata": {"query": query, "threshold": str(per_pod)},  # + serverAddress: Endpoints
    }


def lag_triggers(per_replica: int) -> tuple[Mapping[str, Any], ...]:
    """One redis-streams trigger per shard stream: undelivered entries of the router group."""
    defaults = Settings.model_fields
    keys = BusKeys(defaults["redis_prefix"].default, defaults["bus_shards"].default)
    database = defaults["redis_url"].default.rsplit("/", 1)[-1]
    return tuple(
        {
            "type": "redis-streams",
            "name": f"shard-{index}",
            "metricType": "AverageValue",
            "authenticationRef": {"name": REDIS_SCALER_AUTH},  # the address, from settings
            "metadata": {
                "databaseIndex": database,
                "stream": keys.shard(index),
                "consumerGroup": ROUTER_GROUP,
                "lagCount": str(per_replica),
            },
        }
        for index in range(keys.shards)
    )


SSE_GATEWAY = Persistent(
    name="sse-gateway",
    description="Streams each job's progress and tokens to its owner over SSE, with resume.",
    command=(
        *("uvicorn", "--factory", "functions.kit.deploy.sse_gateway:create_gateway_app"),
        *("--http", "functions.kit.guard:HttpProtocol"),
        *("--host", "0.0.0.0", "--port", str(PORT)),
    ),
    triggers=(connections_trigger("sse-gateway", per_pod=2_000),),
    min_replicas=2,
    max_replicas=20,
    requests={"cpu": "500m", "memory": "512Mi"},
    limits={"memory": "2Gi"},
    pool=Pool.API,
    termination_grace_s=60,
    pre_stop_sleep_s=5,
    service=True,
    # One replica every 5 minutes at most, after 10 minutes of lower load: each scale-down
    # sends its clients reconnecting.
    scale_down={
        "stabilizationWindowSeconds": 600,
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
    },
)

EVENT_ROUTER = Persistent(
    name="event-router",
    description="Moves job events from the shard streams to Pub/Sub (at least once, reclaims).",
    command=("python", "-m", "functions.kit.deploy.event_router"),
    triggers=lag_triggers(per_replica=1_000),
    min_replicas=1,
    max_replicas=4,
    requests={"cpu": "100m", "memory": "128Mi"},
    limits={"memory": "512Mi"},
    pool=Pool.WORKERS,
    env={"ECO2_HOST": "0.0.0.0", "ECO2_PORT": str(PORT)},
)

PERSISTENT: tuple[Persistent, ...] = (SSE_GATEWAY, EVENT_ROUTER)
NAMES = frozenset(p.name for p in PERSISTENT)


def _labels(p: Persistent) -> dict[str, str]:
    return {"app.kubernetes.io/name": p.name, "app.kubernetes.io/part-of": "eco2"}


def deployment(p: Persistent, image: str, endpoints: Endpoints) -> dict[str, Any]:
    env = [{"name": "ECO2_MODE", "value": "real"}]
    env += [{"name": name, "value": value} for name, value in p.env.items()]
    env += settings_env(endpoints)
    container: dict[str, Any] = {
        "name": p.name,
        "image": image,
        "command": list(p.command),
        "env": env,
        "envFrom": env_from(),
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": "http"},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "resources": {"requests": dict(p.requests), "limits": dict(p.limits)},
        "securityContext": SECURITY_CONTEXT,
    }
    if p.pre_stop_sleep_s:
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": p.pre_stop_sleep_s}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": p.name,
            "namespace": NAMESPACE,
            "labels": {**_labels(p), "eco2.kr/kind": "persistent"},
            "annotations": {"eco2.kr/description": p.description},
        },
        # No spec.replicas: the HPA that KEDA creates owns it (an apply must not reset it).
        "spec": {
            "selector": {"matchLabels": _labels(p)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {
                    "labels": _labels(p),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "terminationGracePeriodSeconds": p.termination_grace_s,
                    "containers": [container],
                    **placement(p.pool),
                },
            },
        },
    }


def service(p: Persistent) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": p.name, "namespace": NAMESPACE, "labels": _labels(p)},
        "spec": {
            "type": "ClusterIP",
            "selector": _labels(p),
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def _trigger(trigger: Mapping[str, Any], endpoints: Endpoints) -> dict[str, Any]:
    if trigger["type"] != "prometheus":
        return dict(trigger)
    metadata = {"serverAddress": endpoints.prometheus_url, **trigger["metadata"]}
    return {**trigger, "metadata": metadata}


def disruption_budget(p: Persistent) -> dict[str, Any]:
    """Node drains take one replica at a time (SSE clients reconnect to the others)."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": p.name, "namespace": NAMESPACE, "labels": _labels(p)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(p)}},
    }


def scaled_object(p: Persistent, endpoints: Endpoints) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": p.name},
        "pollingInterval": 15,
        "minReplicaCount": p.min_replicas,
        "maxReplicaCount": p.max_replicas,
    }
    if p.scale_down is not None:
        behavior = {"scaleDown": dict(p.scale_down)}
        spec["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": behavior}}
    spec["triggers"] = [_trigger(t, endpoints) for t in p.triggers]
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": p.name, "namespace": NAMESPACE, "labels": _labels(p)},
        "spec": spec,
    }


def persistent_documents(image: str, endpoints: Endpoints) -> dict[str, list[dict[str, Any]]]:
    """Every persistent workload's documents, by file name under knative/generated."""
    files = {}
    for p in PERSISTENT:
        docs = [deployment(p, image, endpoints)]
        if p.service:
            docs.append(service(p))
        docs.append(disruption_budget(p))
        docs.append(scaled_object(p, endpoints))
        files[f"persistent/{p.name}.yaml"] = docs
    return files
