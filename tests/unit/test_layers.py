"""Layers: `eventing/` is below `functions/` and never imports it (issue 8: the two packages
formed a cycle through the SSE gateway and the event router hosting themselves via the kit)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _functions_imports(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for name in _imported_modules(tree):
            if name == "functions" or name.startswith("functions."):
                found.append(f"{path.relative_to(package)}: {name}")
    return found


def test_eventing_imports_nothing_from_functions() -> None:
    assert _functions_imports(ROOT / "eventing") == []


def test_the_walk_sees_imports_of_every_form(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import functions.kit\n"
        "from functions.kit.errors import Eco2Error\n"
        "def f():\n    from functions import scan\n"
        "if True:\n    import eventing.catalog\n"
    )
    assert [name.split(": ")[1] for name in _functions_imports(tmp_path)] == [
        "functions.kit",
        "functions.kit.errors",
        "functions",
    ]


def test_the_gateway_declaration_loads_no_web_framework() -> None:
    """Every process's registry imports the gateway's module for its declaration: a function
    that never serves the gateway must not pay for FastAPI or the gateway at start."""
    code = (
        "import sys, functions.kit.deploy.sse_gateway as m; "
        "assert m.FUNCTIONS; "
        "print(sorted(n for n in sys.modules if n.startswith(('fastapi', 'eventing.sse'))))"
    )
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
