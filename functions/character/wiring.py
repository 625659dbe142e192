"""The character domain's wiring: its adapters, by mode (named in `functions.py` PROVIDERS).

The adapter of the configured mode is imported here, when first asked for, so an embedded
process never imports asyncpg and a real one never builds the in-memory store.
"""

from __future__ import annotations

from functions.character.catalog import default_catalog
from functions.character.model import CharacterCatalog
from functions.character.ports import OwnershipRepository
from functions.kit.container import Container


async def character_catalog(container: Container) -> CharacterCatalog:
    del container  # the catalog ships with the code; nothing to configure
    return default_catalog()


async def character_ownerships(container: Container) -> OwnershipRepository:
    if container.settings.mode == "embedded":
        from functions.character.memory_ownership import MemoryOwnershipRepository  # noqa: PLC0415

        return MemoryOwnershipRepository(await container.get("users_repository"))
    from functions.character.postgres_ownership import PostgresOwnershipRepository  # noqa: PLC0415

    return PostgresOwnershipRepository(await container.pg_pool())
