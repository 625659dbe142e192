"""Loading the knowledge base from its YAML files, validated as a whole before anything uses it.

The data ships with the code (`data/`). It is read when a provider asks for it, never at
import, and nothing is cached here: the caller keeps the `KnowledgeBase`. A broken file stops
the process with every problem listed (`KnowledgeError`), not just the first one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from functions.scan.knowledge import validation
from functions.scan.knowledge.errors import KnowledgeError
from functions.scan.knowledge.model import Item, KnowledgeBase, RuleDocument, SituationTag

DATA_DIR = Path(__file__).parent / "data"
ITEMS_FILE = "items.yaml"
TAGS_FILE = "tags.yaml"
RULES_DIR = "rules"

M = TypeVar("M", bound=BaseModel)


def load_knowledge(root: Path | None = None) -> KnowledgeBase:
    """The knowledge base under `root` (default: the shipped data), or KnowledgeError."""
    base = DATA_DIR if root is None else root
    problems: list[str] = []
    items = _records(base / ITEMS_FILE, "items", Item, problems)
    tags = _records(base / TAGS_FILE, "tags", SituationTag, problems)
    rules = _rules(base / RULES_DIR, problems)
    problems += validation.rule_problems(rules)
    problems += validation.item_problems(items, rules)
    problems += validation.tag_problems(tags)
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(items, tags, rules)


class _Unreadable:
    """A file that could not be read or parsed (its problem is already recorded)."""


UNREADABLE = _Unreadable()


def _read(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(f"{path.name}: cannot be read ({exc.strerror or exc})")
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}: not valid YAML: {exc}")
    return UNREADABLE


def _records(path: Path, section: str, model: type[M], problems: list[str]) -> list[M]:
    """The records of `{section: [...]}` in one file; each invalid record is one problem."""
    document = _read(path, problems)
    if document is UNREADABLE:
        return []
    if not isinstance(document, dict) or not isinstance(document.get(section), list):
        problems.append(f"{path.name}: must be a mapping with a {section!r} list")
        return []
    records: list[M] = []
    for index, raw in enumerate(document[section], start=1):
        label = raw.get("name") or raw.get("code") if isinstance(raw, dict) else None
        where = f"{path.name}: {section} #{index}" + (f" ({label})" if label else "")
        parsed = _parse(model, raw, where, problems)
        if parsed is not None:
            records.append(parsed)
    return records


def _rules(folder: Path, problems: list[str]) -> list[RuleDocument]:
    """One rule document per file, named after its key (`paper.yaml` holds key `paper`)."""
    if not folder.is_dir():
        problems.append(f"{folder.name}/: the rule documents folder is missing")
        return []
    documents: list[RuleDocument] = []
    for path in sorted(folder.glob("*.yaml")):
        where = f"{RULES_DIR}/{path.name}"
        raw = _read(path, problems)
        document = None if raw is UNREADABLE else _parse(RuleDocument, raw, where, problems)
        if document is None:
            continue
        if document.key != path.stem:
            problems.append(f"{where}: key {document.key!r} differs from the file name")
        documents.append(document)
    return documents


def _parse(model: type[M], raw: Any, where: str, problems: list[str]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "(record)"
            problems.append(f"{where}: {field}: {error['msg']}")
    return None
