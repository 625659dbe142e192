"""What PostgreSQL says after a chat run: every turn (a user message) ended with exactly one
assistant message, and no conversation is left with a run in progress.

The run has its own database, so every row is this run's. A run whose event was redelivered
after a crash still has one answer (its id is derived from the job); a run the broker gave up
on has none but a failed `done` — both are counted, neither may be doubled.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncpg  # type: ignore[import-untyped]  # no stubs shipped

from tests.load.scan.checks import llm_usage, table_exists

ANSWERS = """
SELECT count(*) AS turns,
       count(*) FILTER (WHERE answers = 1) AS one,
       count(*) FILTER (WHERE answers = 0) AS none,
       count(*) FILTER (WHERE answers > 1) AS many
FROM (SELECT (SELECT count(*) FROM chat_messages a
              WHERE a.job_id = u.job_id AND a.role = 'assistant') AS answers
      FROM chat_messages u WHERE u.role = 'user') t
"""


@dataclass
class ChatDbCheck:
    turns: int = 0  # user messages stored
    one_answer: int = 0
    no_answer: int = 0
    doubled: int = 0  # more than one assistant message for one turn
    active_runs: int = 0  # conversations still marked as running
    llm: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.turns > 0 and self.one_answer == self.turns and not self.active_runs


async def check_chat_db(dsn: str, settle_s: float) -> ChatDbCheck:
    """Read the run's database; a turn may still be finishing (a redelivery after a crash
    waits out the dead worker's lease), so poll up to `settle_s` until every turn has its
    answer and no run is active."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        found = ChatDbCheck()
        if not await table_exists(conn, "chat_messages"):
            found.notes.append("no chat_messages table: the chat domain never migrated")
            return found
        deadline = time.monotonic() + settle_s
        while True:
            row = await conn.fetchrow(ANSWERS)
            found.turns, found.one_answer = row["turns"], row["one"]
            found.no_answer, found.doubled = row["none"], row["many"]
            found.active_runs = await conn.fetchval(
                "SELECT count(*) FROM chat_conversations WHERE active_job_id IS NOT NULL"
            )
            if found.ok or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        if await table_exists(conn, "llm_usage"):
            found.llm = await llm_usage(conn)
        return found
    finally:
        await conn.close()
