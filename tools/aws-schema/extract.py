"""Snapshot the AWS provider's argument schema for the resources terraform/ uses.

`tofu validate` needs the provider, which cannot be fetched here (ADR 0018). The npm package
@cdktf/provider-aws is generated from the provider's schema (21.22.1: hashicorp/aws 6.25.0)
and its .jsii manifest keeps every resource's arguments and nested blocks, required or not,
and the attributes a reference may read.
This script keeps only the types terraform/ uses, in a small JSON that
tests/unit/test_terraform.py checks every block against, offline. Rerun it when a new resource
type appears (the test says so):

    cd "$(mktemp -d)" && npm pack @cdktf/provider-aws@21.22.1 && tar xzf cdktf-provider-aws-*.tgz
    uv run python tools/aws-schema/extract.py "$PWD/package/.jsii"   # from the repo root
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("schema.json")
_LINK = re.compile(r"hashicorp/aws/([\d.]+)/docs/(resources|data-sources)/(\w+)#(\w+)")


def used_types(terraform_dir: Path) -> set[tuple[str, str]]:
    """("resource"|"data", type) for every block in terraform/."""
    found: set[tuple[str, str]] = set()
    for tf in terraform_dir.rglob("*.tf"):
        parsed = hcl2.load(tf.open())
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                found.update((kind, t.strip('"')) for t in block)
    return found


def _struct(prop_type: dict[str, Any]) -> str | None:
    """The nested block's struct, if this property is a block (possibly a list of them)."""
    if "fqn" in prop_type and not prop_type["fqn"].startswith("cdktf."):
        return str(prop_type["fqn"])
    for inner in prop_type.get("union", {}).get("types", []):
        found = _struct(inner)
        if found:
            return found
    element = prop_type.get("collection", {}).get("elementtype")
    return _struct(element) if element else None


def _node(types: dict[str, Any], fqn: str, depth: int = 0) -> dict[str, Any]:
    args: dict[str, bool] = {}
    blocks: dict[str, Any] = {}
    for prop in types[fqn].get("properties", []):
        docs = prop.get("docs", {})
        link = _LINK.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
        if link is None:
            continue  # cdktf's own meta-arguments (count, provider, ...)
        name, required = link[4], not prop.get("optional", False)
        struct = _struct(prop["type"])
        if struct and struct in types and types[struct].get("kind") == "interface" and depth < 10:
            blocks[name] = {"required": required, **_node(types, struct, depth + 1)}
        else:
            args[name] = required
    return {"args": args, "blocks": blocks}


def _attributes(types: dict[str, Any], config_fqn: str) -> list[str]:
    """What `<type>.<name>.<attribute>` may read: the resource class's getters, snake_cased."""
    cls = types[re.sub(r"Config[A-Z]?$", "", config_fqn)]
    names = {
        re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", p["name"]).lower()
        for p in cls.get("properties", [])
        if not p.get("static") and not p["name"].endswith("Input")
    }
    return sorted(names)


def main(jsii_path: str) -> None:
    types: dict[str, Any] = json.loads(Path(jsii_path).read_text())["types"]
    configs: dict[tuple[str, str], str] = {}
    version = ""
    for fqn, t in types.items():
        # "ConfigA" where a resource has its own `config` block
        if not re.search(r"Config[A-Z]?$", fqn) or t.get("kind") != "interface":
            continue
        if "cdktf.TerraformMetaArguments" not in t.get("interfaces", []):
            continue
        for prop in t.get("properties", []):
            docs = prop.get("docs", {})
            link = _LINK.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
            if link:
                version = link[1]
                kind = "resource" if link[2] == "resources" else "data"
                configs[(kind, f"aws_{link[3]}")] = fqn
                break
    wanted = used_types(ROOT / "terraform")
    missing = sorted(f"{k} {t}" for k, t in wanted if (k, t) not in configs)
    if missing:
        sys.exit(f"not in the provider schema: {missing}")
    snapshot = {
        "provider": f"hashicorp/aws {version} (via @cdktf/provider-aws .jsii)",
        "types": {
            f"{k} {t}": {**_node(types, configs[(k, t)]), "attributes": _attributes(types, c)}
            for (k, t), c in sorted((w, configs[w]) for w in wanted)
        },
    }
    OUT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    print(f"{len(wanted)} types from hashicorp/aws {version} -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1])
