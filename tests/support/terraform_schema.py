"""Every resource and data block in terraform/ against the AWS provider's argument schema.

What `tofu validate` would say about argument names and required arguments, without the
provider: tools/aws-schema/schema.json is a snapshot of hashicorp/aws's schema (from the
@cdktf/provider-aws package, ADR 0018) for the types terraform/ uses. References
(`aws_lb.api.dns_name`) are checked to name an attribute the type has; value types are not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2

META = {"count", "for_each", "provider", "depends_on", "lifecycle", "dynamic"}
META |= {"__is_block__", "__comments__"}  # python-hcl2's own keys


def load_schema(path: Path) -> dict[str, Any]:
    types: dict[str, Any] = json.loads(path.read_text())["types"]
    return types


def _is_block(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, dict) and v.get("__is_block__") for v in value
    )


def _check(body: dict[str, Any], node: dict[str, Any], where: str) -> list[str]:
    problems = []
    for key, value in body.items():
        if key in META:
            continue
        if _is_block(value) and key in node["blocks"]:
            for item in value:
                problems += _check(item, node["blocks"][key], f"{where}.{key}")
        elif key not in node["args"]:
            problems.append(f"{where}: no argument or block {key!r} in the AWS provider")
    for name, required in node["args"].items():
        if required and name not in body:
            problems.append(f"{where}: required argument {name!r} missing")
    for name, block in node["blocks"].items():
        if block["required"] and name not in body:
            problems.append(f"{where}: required block {name!r} missing")
    return problems


_REFERENCE = re.compile(r"(?<![\w.])(data\.)?(aws_\w+)\.(\w+)(?:\[[^\]]*\])?\.(\w+)")


def reference_problems(terraform_dir: Path, schema: dict[str, Any]) -> list[str]:
    """`aws_x.name.attribute` and `data.aws_x.name.attribute` read something the type has."""
    problems = []
    for tf in sorted(terraform_dir.rglob("*.tf")):
        text = "\n".join(line.split("#", 1)[0] for line in tf.read_text().splitlines())
        for ref in _REFERENCE.finditer(text):
            key = f"{'data' if ref[1] else 'resource'} {ref[2]}"
            if key in schema and ref[4] not in schema[key]["attributes"]:
                where = tf.relative_to(terraform_dir)
                problems.append(f"{where}: {ref[0]}: {ref[2]} has no attribute {ref[4]!r}")
    return problems


def schema_problems(terraform_dir: Path, schema: dict[str, Any]) -> list[str]:
    problems = []
    for tf in sorted(terraform_dir.rglob("*.tf")):
        parsed = hcl2.load(tf.open())
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for rtype, named in block.items():
                    key = f"{kind} {rtype.strip(chr(34))}"
                    for name, body in named.items():
                        where = f"{tf.relative_to(terraform_dir)}: {key}.{name.strip(chr(34))}"
                        if key not in schema:
                            problems.append(f"{where}: not in tools/aws-schema (rerun extract.py)")
                            continue
                        problems += _check(body, schema[key], where)
    return problems
