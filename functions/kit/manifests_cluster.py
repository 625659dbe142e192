"""The generated parts of the cluster (ADR 0017): what follows from declarations and settings.

- `Endpoints`: where the cluster's servers are, named as their operators name the Services
  (CloudNativePG `<cluster>-rw` and `<cluster>-app`, the RabbitMQ cluster operator's
  `<cluster>` and `<cluster>-default-user`, the Redis operator's `<redis>-master`, which
  follows the primary of a RedisReplication across Sentinel failovers). Operators override
  them under `cluster:` in knative/overlays/scaling.yaml; nothing else names a host.
- `eco2-cluster-settings`: a ConfigMap of the non-secret `ECO2_*` settings every workload reads
  (Redis URL, quorum queues), plus the scaler address KEDA reads through a TriggerAuthentication;
  credentials come from the operators' own Secrets by `secretKeyRef`, never from a literal.
- The edge's routes: one Istio VirtualService for the public API, derived from the public HTTP
  functions' route prefixes, with the SSE stream routes first and without a route timeout.
- The internal gRPC CharacterService as a cluster-local Knative Service speaking h2c.

knative/cluster/ holds the static rest (gateway, ext-authz, operators' resources, overlays).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from eventing.sse.api import EVENT_PATHS
from functions.kit.declare import Function, Kind
from functions.kit.pools import Pool, placement
from functions.kit.settings import Settings

API_PREFIX = "/api/v1"
SETTINGS_CONFIGMAP = "eco2-cluster-settings"
REDIS_SCALER_AUTH = "eco2-redis-scaler"
GATEWAY = "eco2-gateway"
LOCAL_GATEWAY = "knative-local-gateway.istio-system.svc.cluster.local"
CHARACTER_GRPC = "character-grpc"
SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class Endpoints:
    """Names and ports of the cluster's servers (overridable per cluster, never hard-coded)."""

    namespace: str = "eco2"
    postgres: str = "eco2-pg"  # a CloudNativePG Cluster
    rabbitmq: str = "eco2-rabbitmq"  # a RabbitmqCluster
    redis: str = "eco2-redis"  # a RedisReplication (OT-Container-Kit redis-operator)
    redis_port: int = 6379
    prometheus_url: str = "http://prometheus-operated.monitoring.svc.cluster.local:9090"

    @classmethod
    def from_overlay(cls, raw: dict[str, Any]) -> Endpoints:
        unknown = set(raw) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"cluster: unknown endpoint field(s) {sorted(unknown)}")
        return cls(**raw)

    def host(self, service: str) -> str:
        return f"{service}.{self.namespace}.svc.cluster.local"

    @property
    def redis_address(self) -> str:
        return f"{self.host(self.redis + '-master')}:{self.redis_port}"

    @property
    def redis_url(self) -> str:
        database = Settings.model_fields["redis_url"].default.rsplit("/", 1)[-1]
        return f"redis://{self.redis_address}/{database}"


def pool_of(fn: Function) -> Pool:
    return Pool.API if fn.kind is Kind.HTTP else Pool.WORKERS


def settings_env(endpoints: Endpoints) -> list[dict[str, Any]]:
    """Credentials-bearing settings, read from the Secrets the operators write."""
    return [
        _secret_env("ECO2_PG_DSN", f"{endpoints.postgres}-app", "uri"),
        _secret_env("ECO2_AMQP_URL", f"{endpoints.rabbitmq}-default-user", "connection_string"),
    ]


def env_from() -> list[dict[str, Any]]:
    """The generated non-secret settings, then the operator's own Secret (keys, API tokens)."""
    return [
        {"configMapRef": {"name": SETTINGS_CONFIGMAP}},
        {"secretRef": {"name": "eco2-settings"}},
    ]


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def settings_documents(endpoints: Endpoints) -> list[dict[str, Any]]:
    data = {
        "ECO2_NAMESPACE": endpoints.namespace,
        "ECO2_REDIS_URL": endpoints.redis_url,
        "ECO2_QUEUE_TYPE": "quorum",  # three RabbitMQ nodes: replicated queues (ADR 0017)
        "KEDA_REDIS_ADDRESS": endpoints.redis_address,  # host:port, as KEDA's scaler wants it
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": SETTINGS_CONFIGMAP, "namespace": endpoints.namespace},
        "data": data,
    }
    auth = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": {"name": REDIS_SCALER_AUTH, "namespace": endpoints.namespace},
        "spec": {
            "configMapTargetRef": [
                {"parameter": "address", "name": SETTINGS_CONFIGMAP, "key": "KEDA_REDIS_ADDRESS"}
            ]
        },
    }
    return [config, auth]


def _sse_match() -> list[dict[str, Any]]:
    """The stream routes, `{job_id}` as one path segment."""
    return [
        {"uri": {"regex": "^" + API_PREFIX + path.replace("{job_id}", "[^/]+") + "$"}}
        for path in EVENT_PATHS
    ]


def routes(functions: list[Function], endpoints: Endpoints) -> list[dict[str, Any]]:
    """The public API's VirtualService and the SSE gateway's DestinationRule."""
    settings = Settings()
    sse_host = endpoints.host("sse-gateway")
    http: list[dict[str, Any]] = [
        {
            "name": "sse",
            "match": _sse_match(),
            # No route timeout: a stream lasts as long as its job; keepalives (every
            # sse_keepalive_s) keep Envoy's stream idle timeout from firing.
            "timeout": "0s",
            "route": [{"destination": {"host": sse_host, "port": {"number": 80}}}],
        }
    ]
    public = [fn for fn in functions if fn.kind is Kind.HTTP and fn.public and fn.route_prefix]
    for fn in sorted(public, key=lambda f: (-len(f.route_prefix or ""), f.name)):
        http.append(
            {
                "name": fn.name,
                "match": [{"uri": {"prefix": fn.route_prefix}}],
                "rewrite": {"authority": endpoints.host(fn.name)},
                "timeout": "300s",  # the Knative Service's timeoutSeconds
                "route": [{"destination": {"host": LOCAL_GATEWAY, "port": {"number": 80}}}],
            }
        )
    service = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "eco2-api", "namespace": endpoints.namespace},
        "spec": {"hosts": ["*"], "gateways": [GATEWAY], "http": http},
    }
    idle = f"{int(2 * settings.sse_idle_timeout_s)}s"  # longer than any silent job's stream
    rule = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "sse-gateway", "namespace": endpoints.namespace},
        "spec": {
            "host": sse_host,
            "trafficPolicy": {"connectionPool": {"http": {"idleTimeout": idle}}},
        },
    }
    return [service, rule]


def character_grpc(image: str, endpoints: Endpoints) -> dict[str, Any]:
    """CharacterService (functions/character/grpc_server.py): cluster-local, h2c on 8080."""
    container = {
        "name": "grpc",
        "image": image,
        "command": ["python", "-m", "functions.character.grpc_server"],
        "env": [
            {"name": "ECO2_MODE", "value": "real"},
            {"name": "ECO2_HOST", "value": "0.0.0.0"},
            {"name": "ECO2_GRPC_PORT", "value": "8080"},
            *settings_env(endpoints),
        ],
        "envFrom": env_from(),
        "ports": [{"name": "h2c", "containerPort": 8080}],
        "readinessProbe": {"tcpSocket": {}},  # no grpc.health.v1 service: the port answers
        "securityContext": SECURITY_CONTEXT,
    }
    annotations = {
        "autoscaling.knative.dev/min-scale": "1",  # internal callers wait on it: keep one warm
        "autoscaling.knative.dev/max-scale": "6",
    }
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {
            "name": CHARACTER_GRPC,
            "namespace": endpoints.namespace,
            "labels": {
                "eco2.kr/domain": "character",
                "eco2.kr/kind": "grpc",
                "networking.knative.dev/visibility": "cluster-local",
            },
        },
        "spec": {
            "template": {
                "metadata": {"annotations": annotations},
                "spec": {"containers": [container], **placement(Pool.API)},
            }
        },
    }


def kustomization(files: list[str]) -> dict[str, Any]:
    """knative/generated as a kustomize base the cluster overlays include."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files),
    }
