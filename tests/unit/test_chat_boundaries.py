"""Where the chat package may touch the location and character domains (ADR 0015 point 11):
only in the adapter modules the composition root builds, so the rest of the chat (graph,
nodes, ports) depends on its own ports, and the gRPC adapter on the shared proto alone."""

from __future__ import annotations

import ast
from pathlib import Path

CHAT = Path(__file__).resolve().parents[2] / "functions" / "chat"
ALLOWED = {
    "functions.location": {"location_sites.py", "location_public.py"},
    "functions.character": {"character_local.py"},
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_only_the_adapters_import_the_location_and_character_domains() -> None:
    importers: dict[str, set[str]] = {domain: set() for domain in ALLOWED}
    for path in sorted(CHAT.rglob("*.py")):
        for name in _imports(path):
            for domain in ALLOWED:
                if name == domain or name.startswith(f"{domain}."):
                    importers[domain].add(str(path.relative_to(CHAT)))
    assert importers == ALLOWED
