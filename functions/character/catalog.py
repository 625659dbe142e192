"""Loading the character catalog from its data file, validated before anything serves it.

The catalog is content that ships with the code, not rows in PostgreSQL (why: see
`functions/character/README.md`): it is read from `data/characters.json` when a process first
needs it, never at import, and a file that breaks an invariant stops the process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from functions.character.model import Character, CharacterCatalog, InvalidCatalogError

DATA_FILE = Path(__file__).parent / "data" / "characters.json"
_FIELDS = {"code", "name", "type", "dialog", "middle_category", "default"}
_REQUIRED = _FIELDS - {"default"}


def _character(entry: Any, index: int) -> Character:
    if not isinstance(entry, dict):
        raise InvalidCatalogError(f"entry {index} is not an object")
    unknown = set(entry) - _FIELDS
    missing = _REQUIRED - set(entry)
    if unknown or missing:
        raise InvalidCatalogError(
            f"entry {index}: unknown fields {sorted(unknown)}, missing {sorted(missing)}"
        )
    texts = {k: entry[k] for k in ("code", "name", "type", "dialog")}
    if not all(isinstance(v, str) for v in texts.values()):
        raise InvalidCatalogError(f"entry {index}: code, name, type and dialog must be strings")
    middle = entry["middle_category"]
    if middle is not None and not isinstance(middle, str):
        raise InvalidCatalogError(f"entry {index}: middle_category must be a string or null")
    return Character(
        code=texts["code"],
        name=texts["name"],
        type=texts["type"],
        dialog=texts["dialog"],
        middle_category=middle,
        is_default=entry.get("default", False) is True,
    )


def parse_catalog(document: Any) -> CharacterCatalog:
    """A catalog from the decoded data file; InvalidCatalogError says what is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("characters"), list):
        raise InvalidCatalogError('the data file must be {"characters": [...]}')
    return CharacterCatalog(_character(e, i) for i, e in enumerate(document["characters"]))


def load_catalog(path: Path = DATA_FILE) -> CharacterCatalog:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidCatalogError(f"{path}: not JSON: {exc}") from exc
    return parse_catalog(document)


@lru_cache(maxsize=1)
def default_catalog() -> CharacterCatalog:
    """The shipped catalog, read once per process (the scan reward step uses it too)."""
    return load_catalog()
