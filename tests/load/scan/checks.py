"""What the database says after a run: every job ended, no character was granted twice.

The run has its own database, so every row is this run's. Characters: ownership is unique per
(user, character) by its primary key, so a duplicate row cannot exist, and the check that
means something is the other one: the scan grants written (ownership rows not from signup)
must be exactly the distinct (user, character) rewards the stored results announce — one
side effect per distinct reward, none missing, none extra, retries and redeliveries included.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs shipped

from functions.character.catalog import DATA_FILE

SIGNUP = "signup"


@dataclass
class DbCheck:
    jobs_by_status: dict[str, int] = field(default_factory=dict)
    duplicate_ownerships: int = 0
    rewarded_pairs: int = 0  # distinct (user, character) in stored rewards
    scan_grants: int = 0  # ownership rows not from signup
    missing_grants: int = 0  # rewarded, not owned
    extra_grants: int = 0  # owned (not from signup), never rewarded
    llm: list[str] = field(default_factory=list)  # per task: attempts, failures, repeats
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.duplicate_ownerships or self.missing_grants or self.extra_grants)


def _codes_by_name() -> dict[str, str]:
    data = json.loads(DATA_FILE.read_text())
    return {c["name"]: c["code"] for c in data["characters"]}


async def table_exists(conn: Any, table: str) -> bool:
    return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table))


async def check_db(dsn: str, settle_s: float = 30.0) -> DbCheck:
    """Read the run's database; grants are asynchronous (after `done`), so wait up to
    `settle_s` for the missing ones to land before counting them as missing."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        found = DbCheck()
        if not await table_exists(conn, "scan_jobs"):
            found.notes.append("no scan_jobs table: the scan domain never migrated")
            return found
        rows = await conn.fetch("SELECT status, count(*) AS n FROM scan_jobs GROUP BY status")
        found.jobs_by_status = {r["status"]: r["n"] for r in rows}
        if await table_exists(conn, "llm_usage"):
            found.llm = await llm_usage(conn)
        deadline = time.monotonic() + settle_s
        while True:
            await _grants(conn, found)
            if not found.missing_grants or time.monotonic() > deadline:
                return found
            await asyncio.sleep(1)
    finally:
        await conn.close()


async def _grants(conn: Any, found: DbCheck) -> None:
    codes = _codes_by_name()
    found.duplicate_ownerships = await conn.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM character_ownership"
        " GROUP BY user_id, character_code HAVING count(*) > 1) d"
    )
    rewards = await conn.fetch(
        "SELECT DISTINCT user_id, result->'reward'->>'name' AS name FROM scan_jobs"
        " WHERE status = 'completed' AND jsonb_typeof(result->'reward') = 'object'"
    )
    rewarded = set()
    for r in rewards:
        code = codes.get(r["name"])
        if code is None:
            found.notes.append(f"reward {r['name']!r} is not in the character catalog")
            continue
        rewarded.add((r["user_id"], code))
    owned = await conn.fetch("SELECT user_id, character_code, source FROM character_ownership")
    from_scans = {(o["user_id"], o["character_code"]) for o in owned if o["source"] != SIGNUP}
    everything = {(o["user_id"], o["character_code"]) for o in owned}
    found.rewarded_pairs = len(rewarded)
    found.scan_grants = len(from_scans)
    found.missing_grants = len(rewarded - everything)
    found.extra_grants = len(from_scans - rewarded)


async def llm_usage(conn: Any) -> list[str]:
    """Per task, from the LLM client's own attempt records: attempts, failed ones by error,
    jobs that needed more than one attempt, and the latency the client saw."""
    rows = await conn.fetch(
        "SELECT task, count(*) AS attempts, count(*) FILTER (WHERE NOT ok) AS failed,"
        " count(DISTINCT job_id) AS jobs,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_s) AS p50,"
        " percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_s) AS p99"
        " FROM llm_usage GROUP BY task ORDER BY task"
    )
    errors = await conn.fetch(
        "SELECT task, left(error, 80) AS error, count(*) AS n FROM llm_usage WHERE NOT ok"
        " GROUP BY 1, 2 ORDER BY n DESC LIMIT 5"
    )
    lines = [
        f"{r['task']}: {r['attempts']} attempts for {r['jobs']} jobs, {r['failed']} failed; "
        f"client latency p50 {r['p50']:.1f} s, p99 {r['p99']:.1f} s"
        for r in rows
    ]
    return lines + [f"{r['task']} error x{r['n']}: {r['error']}" for r in errors]
