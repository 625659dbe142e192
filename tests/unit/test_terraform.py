"""terraform/: the pools add up and match what knative/ schedules on; what the code names exists.

Offline: python-hcl2 and JSON for structure; OpenTofu (scripts/lib.sh builds it, ECO2_TOFU)
renders the node user data. `tofu fmt` and checkov run in scripts/test (ADR 0018).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from tests.support import terraform_pools as tp
from tests.support import terraform_schema as ts
from tests.support import terraform_workloads as tw

ROOT = Path(__file__).parents[2]
TERRAFORM = ROOT / "terraform"
PROD = TERRAFORM / "envs" / "prod"
POOLS = PROD / "pools.auto.tfvars.json"
KNATIVE = ROOT / "knative"
AGREED = {"control-plane": 3, "ingress": 3, "api": 6, "workers": 6, "data": 3, "observability": 3}


def _rendered_nodes(pools_file: Path, work: Path) -> dict[str, tp.Pool]:
    """The pools as their kubelets register: labels and taints read back from rendered user data."""
    tofu = tp.tofu_binary()
    if tofu is None:
        pytest.skip("no OpenTofu binary (scripts/test builds one: ensure_tofu in scripts/lib.sh)")
    pools = tp.load_pools(pools_file)
    nodes = {}
    rendered = tp.render_user_data(tofu, TERRAFORM, pools_file, work)
    (work / "rendered.json").write_text(json.dumps(rendered))
    for name, user_data in rendered.items():
        labels, taints = tp.kubelet_registration(user_data)
        nodes[name] = tp.Pool(name, pools[name].count, labels, taints)
    return nodes


def _broken_copy(tmp_path: Path, pool: str, label: str) -> Path:
    doc = json.loads(POOLS.read_text())
    doc["pools"][pool]["labels"][tp.POOL_KEY] = label
    broken = tmp_path / "pools.auto.tfvars.json"
    broken.write_text(json.dumps(doc))
    return broken


def _manifest(tmp_path: Path, docs: list[Any]) -> Path:
    knative = tmp_path / "knative"
    (knative / "cluster" / "deep").mkdir(parents=True)
    (knative / "cluster" / "deep" / "placed.yaml").write_text(yaml.safe_dump_all(docs))
    return knative


def _service(pool: str, tolerate: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"nodeSelector": {tp.POOL_KEY: pool}, "containers": []}
    if tolerate:
        spec["tolerations"] = [
            {"key": tp.POOL_KEY, "operator": "Equal", "value": tolerate, "effect": "NoSchedule"}
        ]
    return {"kind": "Service", "metadata": {"name": "x"}, "spec": {"template": {"spec": spec}}}


def test_every_terraform_file_parses() -> None:
    files = sorted(TERRAFORM.rglob("*.tf"))
    assert len(files) > 30
    for tf in files:
        hcl2.load(tf.open())  # raises on a syntax error, with or without OpenTofu here


def test_every_block_uses_only_arguments_the_aws_provider_has(tmp_path: Path) -> None:
    schema = ts.load_schema(ROOT / "tools" / "aws-schema" / "schema.json")
    assert ts.schema_problems(TERRAFORM, schema) == []
    assert ts.reference_problems(TERRAFORM, schema) == []
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM / "modules" / "nodes", copy)
    main = copy / "main.tf"
    text = main.read_text().replace("enable_cross_zone_load_balancing", "cross_zone", 1)
    main.write_text(text.replace("  load_balancer_arn = aws_lb.apiserver.arn\n", "", 1))
    assert ts.schema_problems(copy, schema) == [
        "main.tf: resource aws_lb.apiserver: no argument or block 'cross_zone' in the AWS provider",
        "main.tf: resource aws_lb_listener.apiserver: required argument 'load_balancer_arn' "
        "missing",
    ]
    outputs = copy / "outputs.tf"
    outputs.write_text(outputs.read_text().replace("apiserver.dns_name", "apiserver.dns", 1))
    assert ts.reference_problems(copy, schema) == [
        "outputs.tf: aws_lb.apiserver.dns: aws_lb has no attribute 'dns'"
    ]


def test_pools_are_the_agreed_split_of_24_nodes() -> None:
    pools = tp.load_pools(POOLS)
    assert {name: p.count for name, p in pools.items()} == AGREED
    assert tp.pool_problems(pools) == []


def test_every_node_boots_with_its_pools_label_and_taint(tmp_path: Path) -> None:
    nodes = _rendered_nodes(POOLS, tmp_path / "render")
    for name, user_data in json.loads((tmp_path / "render" / "rendered.json").read_text()).items():
        check = subprocess.run(["bash", "-n"], input=user_data, text=True, check=False)
        assert check.returncode == 0, f"pool {name}: the user data is not valid bash"
    assert set(nodes) == set(AGREED)
    for name, node in nodes.items():
        assert node.labels[tp.POOL_KEY] == name
        assert node.labels["topology.kubernetes.io/zone"] == "$ZONE"  # filled in at boot
        assert node.taints == {(tp.POOL_KEY, name, "NoSchedule")}


def test_the_env_feeds_the_pools_file_to_the_rendering_module() -> None:
    stack = hcl2.load((PROD / "main.tf").open())
    nodes_module = next(m['"nodes"'] for m in stack["module"] if '"nodes"' in m)
    assert nodes_module["pools"] == "${var.pools}"
    nodes_tf = hcl2.load((TERRAFORM / "modules" / "nodes" / "main.tf").open())
    boot = next(m['"bootstrap"'] for m in nodes_tf["module"] if '"bootstrap"' in m)
    assert (boot["labels"], boot["taints"]) == ("${each.value.labels}", "${each.value.taints}")
    templates = tw.resources(TERRAFORM / "modules" / "nodes" / "main.tf")["aws_launch_template"]
    assert "module.bootstrap[each.key].user_data" in templates["pool"]["user_data"]


def test_every_placement_in_knative_has_its_pool(tmp_path: Path) -> None:
    nodes = _rendered_nodes(POOLS, tmp_path / "render")
    assert tp.placement_problems(tp.placements(KNATIVE), nodes) == []


def test_a_broken_pool_label_fails(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, "api", "apis")
    assert tp.pool_problems(tp.load_pools(broken)) == ["pool api: label eco2.kr/pool='apis'"]
    knative = _manifest(tmp_path, [_service("api", tolerate="api")])
    nodes = _rendered_nodes(broken, tmp_path / "render")
    problems = tp.placement_problems(tp.placements(knative), nodes)
    assert any("selects eco2.kr/pool=api, no pool has that label" in p for p in problems)


def test_placements_are_found_anywhere_and_checked(tmp_path: Path) -> None:
    term = {"matchExpressions": [{"key": tp.POOL_KEY, "operator": "In", "values": ["data"]}]}
    required = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}
    tolerate_all = [{"key": tp.POOL_KEY, "operator": "Exists"}]
    stateful: dict[str, Any] = {  # e.g. an operator's CR, pod template nested in its own shape
        "kind": "Cluster",
        "spec": {"pods": {"affinity": {"nodeAffinity": required}, "tolerations": tolerate_all}},
    }
    docs = [_service("workers", "workers"), stateful, _service("gpu", "gpu"), _service("api", None)]
    knative = _manifest(tmp_path, docs)
    found = tp.placements(knative)
    assert [sorted(p.selected) for p in found] == [["workers"], ["data"], ["gpu"], ["api"]]
    problems = tp.placement_problems(found, tp.load_pools(POOLS))
    at = "cluster/deep/placed.yaml#{}.spec.template.spec: "
    assert problems == [
        at.format(2) + "selects eco2.kr/pool=gpu, no pool has that label",
        at.format(2) + "tolerates eco2.kr/pool=gpu, no such taint",
        at.format(3) + "runs on api but does not tolerate ('eco2.kr/pool', 'api', 'NoSchedule')",
    ]


def _gateway_node_ports(overlay: Path) -> dict[str, int]:
    """NodePorts of the Istio ingress gateway's Service, by port name, in an overlay's patches."""
    ports = {}
    for path in sorted(overlay.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "IstioOperator":
                continue
            for gateway in doc["spec"]["components"].get("ingressGateways", []):
                for port in gateway.get("k8s", {}).get("service", {}).get("ports", []):
                    ports[port["name"]] = port["nodePort"]
    return ports


def test_the_alb_targets_the_gateways_node_ports() -> None:
    parsed = hcl2.load((PROD / "variables.tf").open())
    defaults = {k.strip('"'): v.get("default") for b in parsed["variable"] for k, v in b.items()}
    ports = _gateway_node_ports(KNATIVE / "cluster" / "overlays" / "prod")
    assert ports.get("https") == defaults["ingress_node_port"]
    assert ports.get("status-port") == defaults["ingress_health_node_port"]


def test_every_domain_that_calls_s3_has_a_role_with_exactly_its_actions() -> None:
    needs = tw.s3_actions_by_domain(ROOT / "functions")
    assert set(needs) >= {"images", "scan", "chat"}  # the scanner sees the known users
    possible = tw.adapter_actions(ROOT / "functions" / "images" / "s3_store.py")
    assert possible == {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}
    roles = tw.load_workloads(PROD / "workloads.auto.tfvars.json")
    assert tw.role_problems(needs, roles, possible) == []


def test_a_missing_or_wider_role_fails() -> None:
    needs = tw.s3_actions_by_domain(ROOT / "functions")
    roles = tw.load_workloads(PROD / "workloads.auto.tfvars.json")
    del roles["chat"]
    roles["images"]["s3_actions"] = ["s3:PutObject", "s3:ListBucket"]
    problems = tw.role_problems(needs, roles, {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"})
    assert any(p.startswith("domain chat calls S3") for p in problems)
    assert any("is nothing the S3 adapter does" in p for p in problems)


def test_the_images_bucket_is_private_encrypted_versioned_behind_cloudfront() -> None:
    found = tw.resources(TERRAFORM / "modules" / "images" / "main.tf")
    found.update(tw.resources(TERRAFORM / "modules" / "images" / "cdn.tf"))
    assert set(found["aws_s3_bucket"]) == {"images"}
    block = found["aws_s3_bucket_public_access_block"]["images"]
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls")
    assert all(block[k] is True for k in (*flags, "restrict_public_buckets"))
    assert "images" in found["aws_s3_bucket_server_side_encryption_configuration"]
    versioning = found["aws_s3_bucket_versioning"]["images"]["versioning_configuration"]
    assert versioning[0]["status"].strip('"') == "Enabled"  # python-hcl2 keeps the quotes
    assert "images" in found["aws_cloudfront_origin_access_control"]
    origin = found["aws_cloudfront_distribution"]["images"]["origin"][0]
    assert "aws_cloudfront_origin_access_control.images.id" in origin["origin_access_control_id"]


def test_the_stack_outputs_the_settings_the_s3_adapter_reads() -> None:
    exported = tw.outputs(PROD / "outputs.tf")["eco2_settings"]["value"]
    assert tw.settings_problems(exported) == []
    assert tw.settings_problems({"ECO2_S3_BUKET": "x"})[0].startswith("ECO2_S3_BUKET is not")


def test_service_accounts_match_the_roles(tmp_path: Path) -> None:
    roles = tw.load_workloads(PROD / "workloads.auto.tfvars.json")
    assert tw.service_account_problems(KNATIVE, roles) == []
    wrong = _service("api", "api")
    wrong["metadata"] = {"name": "images-api", "labels": {"eco2.kr/domain": "images"}}
    wrong["spec"]["template"]["spec"]["serviceAccountName"] = "default"
    annotations = {tw.ROLE_ANNOTATION: "arn:aws:iam::1:role/x"}
    meta = {"name": "info", "namespace": "eco2", "annotations": annotations}
    orphan: dict[str, Any] = {"kind": "ServiceAccount", "metadata": meta}
    knative = _manifest(tmp_path, [wrong, orphan])
    assert len(tw.service_account_problems(knative, roles)) == 2


def test_every_checkov_skip_says_why(tmp_path: Path) -> None:
    assert tw.unexplained_skips(TERRAFORM) == []
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM / "modules" / "logs", copy)
    (copy / "extra.tf").write_text('resource "x" "y" {\n  #checkov:skip=CKV_AWS_1\n}\n')
    assert tw.unexplained_skips(copy) == ["extra.tf: CKV_AWS_1 skipped without a reason"]
