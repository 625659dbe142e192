"""Domain SQL migrations on real PostgreSQL: in order, once, even when replicas race."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from functions.kit.migrations import migrate

pytestmark = pytest.mark.integration


def _domain(root: Path, name: str, files: dict[str, str]) -> Path:
    folder = root / name / "migrations"
    folder.mkdir(parents=True)
    for file, sql in files.items():
        (folder / file).write_text(sql)
    return folder


async def test_migrations_apply_in_order_once_under_a_race(pg_dsn: str, tmp_path: Path) -> None:
    users = _domain(tmp_path, "users", {
        "0001_users.sql": "CREATE TABLE users (id int PRIMARY KEY);",
        "0002_name.sql": "ALTER TABLE users ADD COLUMN name text;",
    })  # fmt: skip
    geo = _domain(tmp_path, "geo", {"0001_points.sql": "CREATE TABLE points (p geometry);"})
    pools = [await asyncpg.create_pool(pg_dsn, min_size=1, max_size=2) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(p, [users, geo]) for p in pools))
        applied = sorted(v for r in results for v in r)
        assert applied == ["geo/0001_points", "users/0001_users", "users/0002_name"]
        assert await migrate(pools[0], [users, geo]) == []
        async with pools[0].acquire() as conn:
            await conn.execute("INSERT INTO users (id, name) VALUES (1, 'x')")
    finally:
        for pool in pools:
            await pool.close()


async def test_a_failing_migration_changes_nothing(pg_dsn: str, tmp_path: Path) -> None:
    broken = _domain(tmp_path, "broken", {
        "0001_ok.sql": "CREATE TABLE ok (id int);",
        "0002_bad.sql": "CREATE TABLE half (id int); SELECT no_such_function();",
    })  # fmt: skip
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=2)
    try:
        with pytest.raises(asyncpg.PostgresError):
            await migrate(pool, [broken])
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT to_regclass('half')") is None
            versions = await conn.fetch("SELECT version FROM eco2_schema_migrations")
            assert [r["version"] for r in versions] == ["0001_ok"]
    finally:
        await pool.close()
