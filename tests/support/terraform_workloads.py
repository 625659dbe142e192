"""What the code names in AWS (the images bucket, its CDN, S3 calls) against what Terraform makes.

The code decides which domains touch S3 (they call the images ObjectStore), and the S3 adapter
decides which S3 operations exist; terraform/envs/prod/workloads.auto.tfvars.json must give
each such domain an IRSA role with exactly those actions, and the stack must output the
settings the adapter reads (ADR 0018).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import hcl2
import yaml

from functions.kit.settings import Settings

# ObjectStore port method -> the S3 actions its S3 adapter call needs (functions/images/s3_store.py)
PORT_ACTIONS = {
    "presign_upload": {"s3:PutObject"},  # a presigned put_object, signed with the role's keys
    "put": {"s3:PutObject"},
    "get": {"s3:GetObject"},
    "head": {"s3:GetObject"},  # HeadObject is authorised by s3:GetObject
    "delete": {"s3:DeleteObject"},
}
RESOLVE_IMAGE = {"s3:GetObject", "s3:DeleteObject"}  # head, then delete when oversize
# boto3 client method -> S3 action, for what the adapter itself can do
CLIENT_ACTIONS = {
    "put_object": "s3:PutObject",
    "get_object": "s3:GetObject",
    "head_object": "s3:GetObject",
    "delete_object": "s3:DeleteObject",
}
_STORE_NAMES = {"store", "images", "object_store"}
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def _receiver(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def s3_actions_by_domain(functions_dir: Path) -> dict[str, set[str]]:
    """For each domain package, the S3 actions its ObjectStore calls need. `resolve_image`'s
    own body (in images/services.py) is charged to its callers, not to the images domain."""
    needs: dict[str, set[str]] = {}
    for package in sorted(p for p in functions_dir.iterdir() if (p / "__init__.py").is_file()):
        if package.name == "kit":
            continue
        actions: set[str] = set()
        for source in package.rglob("*.py"):
            if package.name == "images" and source.stem in {"s3_store", "local_store", "media"}:
                continue  # the adapters themselves and the embedded store's own routes
            tree = ast.parse(source.read_text())
            skip: set[int] = set()
            for node in ast.walk(tree):
                defs = ast.AsyncFunctionDef | ast.FunctionDef
                if isinstance(node, defs) and node.name == "resolve_image":
                    skip.update(id(n) for n in ast.walk(node))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or id(node) in skip:
                    continue
                func = node.func
                if isinstance(func, ast.Name) and func.id == "resolve_image":
                    actions |= RESOLVE_IMAGE
                elif (
                    isinstance(func, ast.Attribute)
                    and func.attr in PORT_ACTIONS
                    and _receiver(func.value) in _STORE_NAMES
                ):
                    actions |= PORT_ACTIONS[func.attr]
        if actions:
            needs[package.name] = actions
    return needs


def adapter_actions(s3_store: Path) -> set[str]:
    """The S3 actions the adapter can use at all: every `_client.<method>` it names (called
    directly or handed to asyncio.to_thread)."""
    source = s3_store.read_text()
    methods = set(re.findall(r"_client\.(\w+)", source))
    methods |= set(re.findall(r'generate_presigned_url\(\s*"(\w+)"', source))
    return {CLIENT_ACTIONS[m] for m in methods if m in CLIENT_ACTIONS}


def load_workloads(path: Path) -> dict[str, dict[str, Any]]:
    roles: dict[str, dict[str, Any]] = json.loads(path.read_text())["workload_roles"]
    return roles


def role_problems(
    needs: dict[str, set[str]], roles: dict[str, dict[str, Any]], possible: set[str]
) -> list[str]:
    """Exactly the S3 actions each domain's code needs, on a role of its own; none beyond what
    the adapter can do; no S3 grant to a workload whose code never touches the store."""
    problems = []
    for domain, actions in sorted(needs.items()):
        role = roles.get(domain)
        if role is None:
            problems.append(f"domain {domain} calls S3 ({sorted(actions)}) but has no role")
            continue
        granted = set(role["s3_actions"])
        if granted != actions:
            problems.append(
                f"role {domain}: grants {sorted(granted)}, code needs {sorted(actions)}"
            )
    for name, role in sorted(roles.items()):
        extra = set(role["s3_actions"]) - possible
        if extra:
            problems.append(f"role {name}: {sorted(extra)} is nothing the S3 adapter does")
        if role["s3_actions"] and name not in needs:
            problems.append(f"role {name}: S3 access, but no code of a domain {name!r} uses S3")
        if not role["s3_actions"] and not role["managed_policies"]:
            problems.append(f"role {name}: grants nothing")
    return problems


def _unquote(key: str) -> str:
    return key.strip('"')


def resources(tf_file: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """{type: {name: body}} of a .tf file, parsed by python-hcl2 (keys unquoted)."""
    parsed = hcl2.load(tf_file.open())
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for block in parsed.get("resource", []):
        for rtype, named in block.items():
            for name, body in named.items():
                found.setdefault(_unquote(rtype), {})[_unquote(name)] = body
    return found


def outputs(tf_file: Path) -> dict[str, Any]:
    parsed = hcl2.load(tf_file.open())
    return {_unquote(k): v for block in parsed.get("output", []) for k, v in block.items()}


def settings_problems(exported: dict[str, Any]) -> list[str]:
    """The stack's `eco2_settings` output: every key a real setting, the S3 ones all there."""
    fields = {f"ECO2_{name.upper()}" for name in Settings.model_fields}
    unknown = [key for key in exported if key not in fields]
    problems = [f"{key} is not a setting in functions/kit/settings.py" for key in unknown]
    for needed in ("ECO2_S3_BUCKET", "ECO2_CDN_BASE_URL", "ECO2_S3_REGION"):
        if needed not in exported:
            problems.append(f"the stack does not output {needed}")
    return problems


def service_account_problems(knative_dir: Path, roles: dict[str, dict[str, Any]]) -> list[str]:
    """A manifest of a domain with a role must run as that role's ServiceAccount if it names
    one; a ServiceAccount annotated with a role must be one Terraform trusts."""
    trusted = {(r["namespace"], r["service_account"]) for r in roles.values()}
    problems = []
    for path in sorted(knative_dir.rglob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict):
                continue
            meta = doc.get("metadata") or {}
            domain = (meta.get("labels") or {}).get("eco2.kr/domain")
            annotated = ROLE_ANNOTATION in (meta.get("annotations") or {})
            account = (meta.get("namespace"), meta.get("name"))
            if doc.get("kind") == "ServiceAccount" and annotated and account not in trusted:
                problems.append(f"{path.name}: ServiceAccount {account[1]} has no IRSA role")
            names = set(re.findall(r"serviceAccountName:\s*(\S+)", yaml.safe_dump(doc)))
            if domain in roles and names - {roles[domain]["service_account"]}:
                problems.append(f"{path.name}: domain {domain} runs as {sorted(names)}")
    return problems


_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def unexplained_skips(terraform_dir: Path) -> list[str]:
    """Every checkov skip in terraform/ says why, in a sentence."""
    problems = []
    for tf in sorted(terraform_dir.rglob("*.tf")):
        for match in _SKIP.finditer(tf.read_text()):
            if len((match[2] or "").strip()) < 20:
                where = tf.relative_to(terraform_dir)
                problems.append(f"{where}: {match[1]} skipped without a reason")
    return problems
