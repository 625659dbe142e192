"""The registry of declared functions, built by the composition root (never a module global)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eventing.catalog import Catalog
from functions.kit.declare import Function, Kind

if TYPE_CHECKING:
    from functions.kit.container import Provider


class Registry:
    def __init__(
        self,
        functions: Iterable[Function],
        catalog: Catalog,
        providers: Mapping[str, Provider] | None = None,
        migrations: Sequence[Path] = (),
    ) -> None:
        self.catalog = catalog
        self.providers = dict(providers or {})  # dependency name -> async factory(container)
        self.migrations = tuple(migrations)  # each domain's migrations/ folder
        self._functions: dict[str, Function] = {}
        for fn in functions:
            if fn.name in self._functions:
                raise ValueError(f"function {fn.name} is declared twice")
            self._check(fn)
            self._functions[fn.name] = fn

    def _check(self, fn: Function) -> None:
        if fn.trigger is not None and fn.trigger.type not in self.catalog:
            raise ValueError(f"{fn.name}: trigger type {fn.trigger.type} is not catalogued")
        for reply in fn.replies:
            if reply not in self.catalog:
                raise ValueError(f"{fn.name}: reply type {reply} is not catalogued")

    def __iter__(self) -> Iterator[Function]:
        return iter(sorted(self._functions.values(), key=lambda f: f.name))

    def __len__(self) -> int:
        return len(self._functions)

    def get(self, name: str) -> Function:
        try:
            return self._functions[name]
        except KeyError:
            raise KeyError(
                f"no function named {name!r}; known: {sorted(self._functions)}"
            ) from None

    def of_kind(self, kind: Kind) -> list[Function]:
        return [f for f in self if f.kind is kind]


def _with_requirements(modules: Sequence[str]) -> list[tuple[str, bool]]:
    """Each module after the modules it `REQUIRES` (transitively), and whether it was asked
    for (its functions count) or only required (its adapters and migrations come along)."""
    ordered: dict[str, bool] = {}

    def visit(name: str, asked: bool) -> None:
        if name in ordered:
            ordered[name] = ordered[name] or asked
            return
        for required in getattr(importlib.import_module(name), "REQUIRES", ()):
            visit(required, False)
        ordered[name] = asked

    for name in modules:
        visit(name, True)
    return list(ordered.items())


def collect(modules: Sequence[str], catalog: Catalog) -> Registry:
    """Gather what each domain's declaration module exports: `FUNCTIONS`, optional
    `PROVIDERS` (dependency name -> async factory(container), from its `wiring.py`), `REQUIRES`
    (declaration modules whose adapters and migrations it needs: a foreign key, a shared
    store), and the domain's `migrations/` folder when it has one, required ones first."""
    functions: list[Function] = []
    providers: dict[str, Provider] = {}
    migrations: list[Path] = []
    for name, asked in _with_requirements(modules):
        module = importlib.import_module(name)
        if asked:
            functions.extend(module.FUNCTIONS)
        for dep, path in getattr(module, "PROVIDERS", {}).items():
            if dep in providers:
                raise ValueError(f"dependency {dep!r} is provided twice ({name})")
            providers[dep] = path
        folder = Path(str(module.__file__)).parent / "migrations"
        if folder.is_dir() and folder not in migrations:
            migrations.append(folder)
    return Registry(functions, catalog, providers, migrations)
