"""Node pools (terraform/envs/prod/pools.auto.tfvars.json) against what the manifests schedule on.

The pools file is the single source: Terraform passes it to modules/node-bootstrap, which turns
each pool's labels and taints into the kubelet's `--node-labels` / `--register-with-taints`.
These checks read that file, render the user data with OpenTofu when it is there, and walk
every YAML document under knative/ for nodeSelector, tolerations and node affinity (ADR 0018).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

POOL_KEY = "eco2.kr/pool"
TOTAL_NODES = 24
ZONES = 3


@dataclass(frozen=True)
class Pool:
    name: str
    count: int
    labels: dict[str, str]
    taints: frozenset[tuple[str, str, str]]  # (key, value, effect)


def load_pools(path: Path) -> dict[str, Pool]:
    raw = json.loads(path.read_text())["pools"]
    return {
        name: Pool(
            name,
            int(p["count"]),
            dict(p["labels"]),
            frozenset((t["key"], t["value"], t["effect"]) for t in p["taints"]),
        )
        for name, p in raw.items()
    }


def pool_problems(pools: dict[str, Pool]) -> list[str]:
    """The agreed convention: 24 nodes, a third per zone, each pool labelled and tainted
    `eco2.kr/pool=<its name>` (NoSchedule), so only pods that ask for a pool land on it."""
    problems = []
    total = sum(p.count for p in pools.values())
    if total != TOTAL_NODES:
        problems.append(f"pools add up to {total} nodes, not {TOTAL_NODES}")
    for p in pools.values():
        if p.count <= 0 or p.count % ZONES:
            problems.append(f"pool {p.name}: {p.count} nodes is not a positive multiple of 3")
        if p.labels.get(POOL_KEY) != p.name:
            problems.append(f"pool {p.name}: label {POOL_KEY}={p.labels.get(POOL_KEY)!r}")
        if (POOL_KEY, p.name, "NoSchedule") not in p.taints:
            problems.append(f"pool {p.name}: no taint {POOL_KEY}={p.name}:NoSchedule")
    return problems


# --- what the nodes really boot with -------------------------------------------------------

_WRAPPER = """
variable "pools" {
  type = any
}

module "bootstrap" {
  source             = "%s"
  for_each           = var.pools
  pool               = each.key
  labels             = each.value.labels
  taints             = each.value.taints
  control_plane      = each.key == "control-plane"
  cluster_name       = "eco2-test"
  apiserver_endpoint = "apiserver.test:6443"
  region             = "ap-northeast-2"
}

output "user_data" {
  value = { for k, m in module.bootstrap : k => m.user_data }
}
"""


def tofu_binary() -> str | None:
    """ECO2_TOFU (scripts/lib.sh builds it) or a `tofu` on PATH."""
    found = os.environ.get("ECO2_TOFU")
    if found and Path(found).is_file():
        return found
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if (Path(d) / "tofu").is_file():
            return str(Path(d) / "tofu")
    return None


def render_user_data(
    tofu: str, terraform_dir: Path, pools_file: Path, work: Path
) -> dict[str, str]:
    """Each pool's user data as modules/node-bootstrap renders it: `tofu apply` of a wrapper
    around the provider-free module, offline (no provider, local state in `work`)."""
    work.mkdir(parents=True, exist_ok=True)
    module = (terraform_dir / "modules" / "node-bootstrap").resolve()
    (work / "main.tf").write_text(_WRAPPER % module)
    cli_config = work / "tofurc"
    cli_config.write_text("")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1"}
    env.pop("TF_DATA_DIR", None)

    def tofu_run(*args: str) -> str:
        done = subprocess.run(
            [tofu, f"-chdir={work}", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"tofu {args[0]} failed:\n{done.stderr}")
        return done.stdout

    tofu_run("init", "-input=false", "-no-color")
    tofu_run("apply", "-auto-approve", "-input=false", "-no-color", f"-var-file={pools_file}")
    rendered: dict[str, str] = json.loads(tofu_run("output", "-json", "user_data"))
    return rendered


_EXTRA_ARGS = re.compile(r'^KUBELET_EXTRA_ARGS="(?P<args>[^"]*)"$', re.MULTILINE)


def kubelet_registration(user_data: str) -> tuple[dict[str, str], frozenset[tuple[str, str, str]]]:
    """The labels and taints the kubelet registers with, read from the user data's flags
    (labels only known at boot, like the zone, keep their shell variable as the value)."""
    match = _EXTRA_ARGS.search(user_data)
    if match is None:
        raise ValueError("no KUBELET_EXTRA_ARGS line in the user data")
    labels: dict[str, str] = {}
    taints: set[tuple[str, str, str]] = set()
    for arg in shlex.split(match["args"]):
        flag, _, value = arg.partition("=")
        if flag == "--node-labels":
            for item in filter(None, value.split(",")):
                key, _, val = item.partition("=")
                labels[key] = val
        elif flag == "--register-with-taints":
            for item in value.split(","):
                kv, _, effect = item.partition(":")
                key, _, val = kv.partition("=")
                taints.add((key, val, effect))
    return labels, frozenset(taints)


# --- what the manifests ask for ------------------------------------------------------------


@dataclass(frozen=True)
class PodPlacement:
    """One pod spec's placement: where it was found and what it selects and tolerates."""

    where: str
    selected: frozenset[str]  # values of eco2.kr/pool required by nodeSelector or affinity
    preferred: frozenset[str]  # values only preferred by affinity
    tolerations: tuple[dict[str, Any], ...]


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _pool_values(terms: Any) -> set[str]:
    values: set[str] = set()
    for term in terms or []:
        for expr in term.get("matchExpressions") or []:
            if expr.get("key") == POOL_KEY and expr.get("operator") == "In":
                values.update(expr.get("values") or [])
    return values


def placements(knative_dir: Path) -> list[PodPlacement]:
    """Every object anywhere under knative/ that carries nodeSelector, affinity.nodeAffinity or
    tolerations: Knative Services, Deployments, StatefulSets, operator CRs, files added later."""
    found = []
    for path in sorted(knative_dir.rglob("*.y*ml")):
        for n, doc in enumerate(yaml.safe_load_all(path.read_text())):
            for where, obj in _walk(doc, f"{path.relative_to(knative_dir)}#{n}"):
                if not {"nodeSelector", "affinity", "tolerations"} & obj.keys():
                    continue
                affinity = (obj.get("affinity") or {}).get("nodeAffinity") or {}
                required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
                preferred = affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []
                selector = obj.get("nodeSelector") or {}
                selected = _pool_values(required.get("nodeSelectorTerms"))
                if POOL_KEY in selector:
                    selected.add(str(selector[POOL_KEY]))
                found.append(
                    PodPlacement(
                        where,
                        frozenset(selected),
                        frozenset(_pool_values([p.get("preference") for p in preferred])),
                        tuple(t for t in obj.get("tolerations") or [] if isinstance(t, dict)),
                    )
                )
    return found


def _tolerates(tol: dict[str, Any], taint: tuple[str, str, str]) -> bool:
    key, value, effect = taint
    if tol.get("effect") not in (None, "", effect):
        return False
    if tol.get("operator") == "Exists":
        return tol.get("key") in (None, "", key)
    return tol.get("key") == key and str(tol.get("value", "")) == value


def placement_problems(found: list[PodPlacement], nodes: dict[str, Pool]) -> list[str]:
    """Each pool a manifest names must exist with that label, and a pod sent to a pool must
    tolerate its taints (else it never schedules): checked against the nodes' registration."""
    by_label = {p.labels.get(POOL_KEY): p for p in nodes.values()}
    tainted = {t[1]: p for p in nodes.values() for t in p.taints if t[0] == POOL_KEY}
    problems = []
    for pl in found:
        for value in sorted(pl.selected | pl.preferred):
            if value not in by_label:
                problems.append(f"{pl.where}: selects {POOL_KEY}={value}, no pool has that label")
        for value in sorted(pl.selected & by_label.keys()):
            for taint in sorted(by_label[value].taints):
                if not any(_tolerates(t, taint) for t in pl.tolerations):
                    problems.append(f"{pl.where}: runs on {value} but does not tolerate {taint}")
        for tol in pl.tolerations:
            named = tol.get("key") == POOL_KEY and tol.get("operator") != "Exists"
            wanted = str(tol.get("value"))
            if named and wanted not in tainted:
                problems.append(f"{pl.where}: tolerates {POOL_KEY}={wanted}, no such taint")
    return problems
