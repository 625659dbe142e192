"""What PostgreSQL says after a chat run: every turn (a user message) ended with exactly one
assistant message, and no conversation is left with a run in progress.

The run has its own database, so every row is this run's. A run whose event was redelivered
after a crash still has one answer (its id is derived from the job); a run the broker gave up
on has none but a failed `done` — both are counted, neither may be doubled.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs shipped
from redis.asyncio import Redis

from eventing.bus.entries import decode, event_from_fields
from eventing.bus.keys import BusKeys
from eventing.bus.limits import BusLimits
from tests.load.chat.user import brief
from tests.load.scan.checks import llm_usage, table_exists

ANSWERS = """
SELECT count(*) AS turns,
       count(*) FILTER (WHERE answers = 1) AS one,
       count(*) FILTER (WHERE answers = 0) AS none,
       count(*) FILTER (WHERE answers > 1) AS many,
       count(*) FILTER (WHERE blank > 0) AS blank
FROM (SELECT (SELECT count(*) FROM chat_messages a
              WHERE a.job_id = u.job_id AND a.role = 'assistant') AS answers,
             (SELECT count(*) FROM chat_messages a WHERE a.job_id = u.job_id
              AND a.role = 'assistant' AND btrim(a.content) = '') AS blank
      FROM chat_messages u WHERE u.role = 'user') t
"""


@dataclass
class ChatDbCheck:
    turns: int = 0  # user messages stored
    one_answer: int = 0
    no_answer: int = 0
    doubled: int = 0  # more than one assistant message for one turn
    blank: int = 0  # an assistant message without text (a run that skipped its answer)
    active_runs: int = 0  # conversations still marked as running
    llm: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.turns > 0 and self.one_answer == self.turns and not self.blank
                and not self.active_runs)  # fmt: skip


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
            found.no_answer, found.doubled, found.blank = row["none"], row["many"], row["blank"]
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


async def dump_inexact(turns: list[dict[str, Any]], redis_url: str, prefix: str,
                       path: Path) -> int:  # fmt: skip
    """Every turn that was not exact, with what its client saw and the job's history as the
    bus still holds it (seq, event, token numbers): where a token went missing shows."""
    inexact = [t for t in turns if not t["exact"] and t.get("job_id")]
    if not inexact:
        return 0
    keys = BusKeys(prefix, BusLimits().shards)
    redis = Redis.from_url(redis_url)
    try:
        for t in inexact:
            entries: Any = await redis.xrange(keys.history(t["job_id"]))
            meta: Any = await redis.hgetall(keys.meta(t["job_id"]))
            events = [event_from_fields(t["job_id"], decode(f)) for _, f in entries or []]
            t["history"] = [[e.seq, e.event, brief(e.event, e.data)] for e in events]
            t["meta"] = decode(meta)
    finally:
        await redis.aclose()
    await asyncio.to_thread(path.write_text, json.dumps(inexact, indent=1))
    return len(inexact)
