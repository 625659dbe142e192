"""SQL migrations: each domain keeps `functions/<domain>/migrations/NNNN_name.sql`.

Applied in order, once, inside a transaction each, under an advisory lock so that many
cold-starting replicas can race to migrate and exactly one does the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

LOCK_ID = 0x6563_6F32  # "eco2"
TABLE = """
CREATE TABLE IF NOT EXISTS eco2_schema_migrations (
    domain text NOT NULL,
    version text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, version)
)
"""


def pending_files(directories: Sequence[Path]) -> list[tuple[str, str, Path]]:
    """(domain, version, file) for every migration, in apply order."""
    found = []
    for directory in directories:
        domain = directory.parent.name
        for path in sorted(directory.glob("*.sql")):
            found.append((domain, path.stem, path))
    return found


async def migrate(pool: Any, directories: Sequence[Path]) -> list[str]:
    """Apply what is missing; returns the versions applied now."""
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_ID)
        try:
            await conn.execute(TABLE)
            done = {
                (r["domain"], r["version"])
                for r in await conn.fetch("SELECT domain, version FROM eco2_schema_migrations")
            }
            for domain, version, path in pending_files(directories):
                if (domain, version) in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute(
                        "INSERT INTO eco2_schema_migrations (domain, version) VALUES ($1, $2)",
                        domain,
                        version,
                    )
                applied_now.append(f"{domain}/{version}")
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_ID)
    return applied_now
