"""The generated cluster parts (ADR 0017): pools by kind, endpoints from settings, edge routes.

knative/validate (Go, in scripts/test) checks the rendered overlays against upstream schemas
and refuses unknown pools and KEDA objects aimed at Knative Services; these tests pin what
the generator itself must produce.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from eventing.sse.api import EVENT_PATHS
from functions.kit.bootstrap import build_registry
from functions.kit.declare import Kind
from functions.kit.manifests import generate
from functions.kit.manifests_cluster import Endpoints
from functions.kit.manifests_persistent import PERSISTENT
from functions.kit.pools import POOL_LABEL, Pool

REPO = Path(__file__).parents[2]


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("knative")
    generate(build_registry(), str(root))
    return root / "generated"


def _pool(pod_spec: dict) -> str:
    pool = pod_spec["nodeSelector"][POOL_LABEL]
    assert pod_spec["tolerations"] == [
        {"key": POOL_LABEL, "operator": "Equal", "value": pool, "effect": "NoSchedule"}
    ]
    return pool


def test_every_function_runs_on_the_pool_of_its_kind(generated: Path) -> None:
    for fn in build_registry():
        path = generated / "services" / f"{fn.name}.yaml"
        if not path.exists():  # persistent workloads: below
            continue
        (service,) = _docs(path)
        want = Pool.API if fn.kind is Kind.HTTP else Pool.WORKERS
        assert _pool(service["spec"]["template"]["spec"]) == want.value, fn.name
        assert service["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    for workload in PERSISTENT:
        deployment = _docs(generated / "persistent" / f"{workload.name}.yaml")[0]
        assert _pool(deployment["spec"]["template"]["spec"]) == workload.pool.value


def test_the_go_validator_knows_exactly_these_pools() -> None:
    source = (REPO / "knative/validate/internal/check/policy.go").read_text()
    block = re.search(r"var Pools = map\[string\]bool\{(.*?)\n\}", source, re.S)
    assert block is not None
    assert set(re.findall(r'"([a-z-]+)": true', block.group(1))) == {p.value for p in Pool}


def test_scalers_take_their_addresses_from_settings(tmp_path: Path) -> None:
    overlay = tmp_path / "overlays" / "scaling.yaml"
    overlay.parent.mkdir()
    overlay.write_text(
        "cluster:\n  redis: cache\n  redis_port: 6380\n"
        "  prometheus_url: http://prom.observability.svc.cluster.local:9090\n"
    )
    generate(build_registry(), str(tmp_path))
    out = tmp_path / "generated"
    config, auth = _docs(out / "cluster-settings.yaml")
    assert config["data"]["KEDA_REDIS_ADDRESS"] == "cache-master.eco2.svc.cluster.local:6380"
    assert config["data"]["ECO2_REDIS_URL"] == "redis://cache-master.eco2.svc.cluster.local:6380/0"
    assert config["data"]["ECO2_QUEUE_TYPE"] == "quorum"
    assert auth["spec"]["configMapTargetRef"][0]["key"] == "KEDA_REDIS_ADDRESS"
    router = _docs(out / "persistent" / "event-router.yaml")[-1]
    for trigger in router["spec"]["triggers"]:
        assert "address" not in trigger["metadata"] and "host" not in trigger["metadata"]
        assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
    gateway = _docs(out / "persistent" / "sse-gateway.yaml")[-1]
    address = gateway["spec"]["triggers"][0]["metadata"]["serverAddress"]
    assert address == "http://prom.observability.svc.cluster.local:9090"


def test_an_unknown_endpoint_setting_is_refused(tmp_path: Path) -> None:
    overlay = tmp_path / "overlays" / "scaling.yaml"
    overlay.parent.mkdir()
    overlay.write_text("cluster:\n  redis_host: x\n")
    with pytest.raises(ValueError, match="redis_host"):
        generate(build_registry(), str(tmp_path))


def test_credentials_come_from_the_operators_secrets(generated: Path) -> None:
    endpoints = Endpoints()
    (service,) = _docs(generated / "services" / "scan-api.yaml")
    env = {e["name"]: e for e in service["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ECO2_PG_DSN"]["valueFrom"]["secretKeyRef"]["name"] == f"{endpoints.postgres}-app"
    amqp = env["ECO2_AMQP_URL"]["valueFrom"]["secretKeyRef"]
    assert amqp == {"name": f"{endpoints.rabbitmq}-default-user", "key": "connection_string"}


def test_the_edge_routes_streams_first_without_a_timeout(generated: Path) -> None:
    service, rule = _docs(generated / "edge" / "routes.yaml")
    first, *others = service["spec"]["http"]
    assert first["timeout"] == "0s"
    assert first["route"][0]["destination"]["host"].startswith("sse-gateway.")
    for path in EVENT_PATHS:
        concrete = "/api/v1" + path.replace("{job_id}", "0b7c")
        assert any(re.match(m["uri"]["regex"], concrete) for m in first["match"])
    public = {f.name for f in build_registry() if f.kind is Kind.HTTP and f.public}
    assert {r["name"] for r in others} == public - {p.name for p in PERSISTENT}
    prefixes = [r["match"][0]["uri"]["prefix"] for r in others]
    assert prefixes == sorted(prefixes, key=len, reverse=True)  # longest prefix wins
    assert rule["spec"]["trafficPolicy"]["connectionPool"]["http"]["idleTimeout"] == "1200s"


def test_character_grpc_is_cluster_local_h2c(generated: Path) -> None:
    (service,) = _docs(generated / "services" / "character-grpc.yaml")
    assert service["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    container = service["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"name": "h2c", "containerPort": 8080}]
    assert container["command"][-1] == "functions.character.grpc_server"


def test_rabbitmq_runs_three_nodes_in_the_base() -> None:
    docs = _docs(REPO / "knative/cluster/base/data.yaml")
    (rabbit,) = [d for d in docs if d["kind"] == "RabbitmqCluster"]
    assert rabbit["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["spec"]["rabbitmq"]["additionalConfig"]


def test_every_yaml_under_knative_parses() -> None:
    files = sorted((REPO / "knative").rglob("*.y*ml"))
    assert len(files) > 30
    for path in files:
        list(yaml.safe_load_all(path.read_text()))  # raises on any malformed file
