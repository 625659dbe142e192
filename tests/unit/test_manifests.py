"""Generated Knative manifests: derived from declarations, drift-checked, overlays preserved."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from eventing.catalog import default_catalog
from functions.kit import functions as kit
from functions.kit.bootstrap import build_registry
from functions.kit.declare import Function, Scaling, Trigger, prefix, suffix
from functions.kit.manifests import Overlay, check, generate, render
from functions.kit.registry import Registry

REPO_KNATIVE = Path(__file__).parents[2] / "knative"


def _registry(*functions: Function) -> Registry:
    return Registry(functions or kit.FUNCTIONS, default_catalog())


def test_committed_manifests_match_the_declarations() -> None:
    assert check(build_registry(), str(REPO_KNATIVE)) == []


def test_changed_declaration_without_regeneration_is_drift(tmp_path: Path) -> None:
    generate(_registry(), str(tmp_path))
    assert check(_registry(), str(tmp_path)) == []
    fn = kit.FUNCTIONS[0]
    changed = replace(fn, scaling=replace(fn.scaling, max_scale=7))
    drift = check(_registry(changed, kit.FUNCTIONS[1]), str(tmp_path))
    assert drift[0] == f"stale: {tmp_path}/generated/services/mesh-canary.yaml"
    assert "manifests generate" in drift[-1]


def test_removed_function_and_hand_edits_are_drift(tmp_path: Path) -> None:
    generate(_registry(), str(tmp_path))
    broker = tmp_path / "generated" / "broker.yaml"
    broker.write_text(broker.read_text().replace("quorum", "classic"))
    drift = check(_registry(kit.FUNCTIONS[0]), str(tmp_path))
    assert f"stale: {broker}" in drift
    assert f"not declared: {tmp_path}/generated/services/mesh-dead-letters.yaml" in drift
    generate(_registry(kit.FUNCTIONS[0]), str(tmp_path))
    assert check(_registry(kit.FUNCTIONS[0]), str(tmp_path)) == []


def test_overlay_tunes_scaling_and_survives_generation(tmp_path: Path) -> None:
    overlay = tmp_path / "overlays" / "scaling.yaml"
    overlay.parent.mkdir()
    overlay.write_text(
        "functions:\n  mesh-canary:\n    max_scale: 9\n    container_concurrency: 20\n"
        "    target_concurrency: 10\n"
    )
    generate(_registry(), str(tmp_path))
    service = yaml.safe_load((tmp_path / "generated/services/mesh-canary.yaml").read_text())
    template = service["spec"]["template"]
    assert template["metadata"]["annotations"]["autoscaling.knative.dev/max-scale"] == "9"
    assert template["spec"]["containerConcurrency"] == 20
    trigger = yaml.safe_load((tmp_path / "generated/triggers/mesh-canary.yaml").read_text())
    assert trigger["metadata"]["annotations"]["rabbitmq.eventing.knative.dev/parallelism"] == "20"
    assert overlay.exists() and "max_scale: 9" in overlay.read_text()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("functions:\n  no-such-fn:\n    max_scale: 2\n", "no function named"),
        ("functions:\n  mesh-canary:\n    maxscale: 2\n", "unknown scaling field"),
        ("functions:\n  mesh-canary:\n    min_scale: 5\n    max_scale: 2\n", "min_scale"),
    ],
)
def test_bad_overlay_is_refused(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / "overlays").mkdir()
    (tmp_path / "overlays" / "scaling.yaml").write_text(text)
    with pytest.raises((KeyError, ValueError), match=error):
        generate(_registry(), str(tmp_path))


def test_trigger_carries_every_filter_dialect_and_delivery() -> None:
    fn = Function(
        name="picky",
        domain="tests",
        handler="functions.kit.canary:echo",
        trigger=Trigger(
            type=kit.CANARY_REQUESTED,
            filters=(prefix("subject", "scan/"), suffix("source", "/canary")),
            ordered_by="partitionkey",
        ),
        scaling=Scaling(container_concurrency=30, target_concurrency=30),
    )
    files = render(_registry(fn, kit.FUNCTIONS[1]), Overlay())
    trigger = yaml.safe_load(files["triggers/picky.yaml"])
    assert trigger["spec"]["filter"] == {"attributes": {"type": kit.CANARY_REQUESTED}}
    assert trigger["spec"]["filters"] == [
        {"exact": {"type": kit.CANARY_REQUESTED}},
        {"prefix": {"subject": "scan/"}},
        {"suffix": {"source": "/canary"}},
    ]
    assert trigger["metadata"]["annotations"]["rabbitmq.eventing.knative.dev/parallelism"] == "1"
    assert trigger["spec"]["delivery"]["backoffDelay"] == "PT1S"
    assert trigger["spec"]["delivery"]["deadLetterSink"]["uri"] == "/internal/dead-letters"


def test_every_catalogued_type_has_an_event_type(tmp_path: Path) -> None:
    files = render(_registry(), Overlay())
    documents = list(yaml.safe_load_all(files["eventtypes.yaml"]))
    assert {d["spec"]["type"] for d in documents} == {s.type for s in default_catalog()}


def test_generation_removes_stale_files_only_under_generated(tmp_path: Path) -> None:
    shutil.copytree(REPO_KNATIVE / "generated", tmp_path / "generated")
    (tmp_path / "generated" / "services" / "gone.yaml").write_text("x: 1\n")
    (tmp_path / "README.md").write_text("kept")
    generate(build_registry(), str(tmp_path))
    assert not (tmp_path / "generated" / "services" / "gone.yaml").exists()
    assert (tmp_path / "README.md").read_text() == "kept"


def test_persistent_workloads_are_deployments_scaled_by_keda_never_to_zero(
    tmp_path: Path,
) -> None:
    from eventing.bus.keys import ROUTER_GROUP, BusKeys  # noqa: PLC0415
    from functions.kit.manifests_persistent import PERSISTENT, Persistent  # noqa: PLC0415
    from functions.kit.settings import Settings  # noqa: PLC0415

    generate(_registry(), str(tmp_path))
    settings = Settings()
    for workload in PERSISTENT:
        path = tmp_path / "generated" / "persistent" / f"{workload.name}.yaml"
        docs = list(yaml.safe_load_all(path.read_text()))
        kinds = {d["kind"]: d for d in docs}
        deployment, scaled = kinds["Deployment"], kinds["ScaledObject"]
        assert deployment["apiVersion"] == "apps/v1" and "replicas" not in deployment["spec"]
        assert scaled["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": workload.name,
        }
        assert scaled["spec"]["minReplicaCount"] >= 1
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert not (tmp_path / "generated" / "services" / f"{workload.name}.yaml").exists()
    gateway = list(yaml.safe_load_all((tmp_path / "generated/persistent/sse-gateway.yaml").open()))
    kinds = ["Deployment", "Service", "PodDisruptionBudget", "ScaledObject"]
    assert [d["kind"] for d in gateway] == kinds
    assert gateway[3]["spec"]["triggers"][0]["type"] == "prometheus"
    assert "eco2_sse_connections" in gateway[3]["spec"]["triggers"][0]["metadata"]["query"]
    router = list(yaml.safe_load_all((tmp_path / "generated/persistent/event-router.yaml").open()))
    triggers = router[-1]["spec"]["triggers"]
    keys = BusKeys(settings.redis_prefix, settings.bus_shards)
    assert [t["metadata"]["stream"] for t in triggers] == keys.all_shards()  # one per shard
    assert {t["type"] for t in triggers} == {"redis-streams"}
    assert {t["metadata"]["consumerGroup"] for t in triggers} == {ROUTER_GROUP}
    with pytest.raises(ValueError, match="never scales to zero"):
        replace(PERSISTENT[0], min_replicas=0)
    assert isinstance(PERSISTENT[1], Persistent)


def test_a_persistent_workload_declared_as_a_function_gets_no_knative_service(
    tmp_path: Path,
) -> None:
    from functions.kit.declare import Kind  # noqa: PLC0415

    gateway = Function(
        name="sse-gateway",
        domain="sse",
        kind=Kind.HTTP,
        handler="functions.kit.deploy.sse_gateway:router",
        route_prefix="/api/v1",
        scaling=Scaling(min_scale=1, max_scale=2, target_concurrency=50, container_concurrency=99),
    )
    generate(_registry(*kit.FUNCTIONS, gateway), str(tmp_path))
    assert not (tmp_path / "generated/services/sse-gateway.yaml").exists()
    assert (tmp_path / "generated/persistent/sse-gateway.yaml").exists()
