"""The conversation repository contract, on memory and on real PostgreSQL: owner scoping,
the list order and cursor, counters right under concurrency, one active run, one answer."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from functions.chat.errors import ConversationNotFound, RunActive
from functions.chat.memory_repository import MemoryConversationRepository
from functions.chat.model import Message, Role
from functions.chat.ports import ConversationRepository
from functions.chat.postgres_repository import PostgresConversationRepository
from functions.kit.migrations import migrate

MIGRATIONS = Path("functions/chat/migrations")
TTL = 300.0


@pytest.fixture
def memory_repo() -> ConversationRepository:
    return MemoryConversationRepository()


@pytest.fixture
async def postgres_repo(pg_dsn: str) -> AsyncIterator[ConversationRepository]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=10)
    try:
        await migrate(pool, [MIGRATIONS])
        yield PostgresConversationRepository(pool)
    finally:
        await pool.close()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def repo(request: pytest.FixtureRequest) -> ConversationRepository:
    found: ConversationRepository = request.getfixturevalue(f"{request.param}_repo")
    return found


def message(
    text: str, *, role: Role = "user", at: datetime | None = None, job: str | None = None
) -> Message:
    return Message(
        id=str(uuid.uuid4()), conversation_id="", seq=0, role=role, content=text,
        created_at=at or datetime.now(UTC), job_id=job or str(uuid.uuid4()),
    )  # fmt: skip


def user() -> str:
    return str(uuid.uuid4())


async def test_a_conversation_is_its_owners_only(repo: ConversationRepository) -> None:
    alice = user()
    made = await repo.create(alice, None, datetime.now(UTC))
    assert (made.title, made.titled, made.message_count, made.preview) == ("새 대화", False, 0, "")
    assert await repo.get(made.id, alice) == made
    assert await repo.get(made.id, user()) is None
    assert await repo.get("nope", alice) is None
    assert not await repo.rename(made.id, user(), "x") and not await repo.delete(made.id, user())
    assert await repo.rename(made.id, alice, "이름")
    renamed = await repo.get(made.id, alice)
    assert renamed is not None and (renamed.title, renamed.titled) == ("이름", True)
    assert await repo.delete(made.id, alice)
    assert await repo.get(made.id, alice) is None and not await repo.delete(made.id, alice)
    with pytest.raises(ConversationNotFound):
        await repo.add_user_message(made.id, alice, message("hi"), TTL)


async def test_the_list_is_newest_activity_first_with_a_cursor(
    repo: ConversationRepository,
) -> None:
    alice, start = user(), datetime.now(UTC)
    made = [await repo.create(alice, f"c{n}", start + timedelta(seconds=n)) for n in range(4)]
    await repo.create(user(), "someone else's", start)
    later = message("새 소식", at=start + timedelta(minutes=1))
    await repo.add_user_message(made[0].id, alice, later, TTL)
    order = [c.id for c in await repo.list_for(alice, 10, None)]
    assert order == [made[0].id, made[3].id, made[2].id, made[1].id]
    first = await repo.list_for(alice, 2, None)
    rest = await repo.list_for(alice, 10, (first[-1].activity, first[-1].id))
    assert [c.id for c in first + rest] == order
    await repo.delete(made[3].id, alice)
    assert made[3].id not in [c.id for c in await repo.list_for(alice, 10, None)]


async def test_messages_count_name_and_page(repo: ConversationRepository) -> None:
    alice = user()
    chat = await repo.create(alice, None, datetime.now(UTC))
    first = message("이 페트병 어떻게 버려? 라벨도 떼야 하나요 그리고 뚜껑은요")
    stored = await repo.add_user_message(chat.id, alice, first, TTL)
    assert (stored.seq, stored.conversation_id, stored.role) == (1, chat.id, "user")
    found = await repo.get(chat.id, alice)
    assert found is not None and found.title.startswith("이 페트병") and found.title.endswith("…")
    assert (found.message_count, found.active_job_id) == (1, first.job_id)
    assert found.last_message_at is not None
    assert abs((found.last_message_at - first.created_at).total_seconds()) < 0.001
    assert await repo.message(stored.id) == stored
    answer = dataclasses.replace(message("답", role="assistant"), job_id=first.job_id)
    await repo.finish_run(chat.id, str(first.job_id), answer)
    second = await repo.add_user_message(chat.id, alice, message("두 번째"), TTL)
    assert second.seq == 3
    found = await repo.get(chat.id, alice)
    assert found is not None and found.title.startswith("이 페트병")  # named once
    assert (found.message_count, found.preview) == (3, "두 번째")
    assert [m.seq for m in await repo.messages(chat.id, None, 2)] == [2, 3]
    assert [m.content for m in await repo.messages(chat.id, 2, 5)] == [first.content]
    assert await repo.messages(chat.id, 1, 5) == []


async def test_one_run_at_a_time_until_it_ends_or_times_out(repo: ConversationRepository) -> None:
    alice = user()
    chat = await repo.create(alice, "t", datetime.now(UTC))
    first = message("하나")
    await repo.add_user_message(chat.id, alice, first, TTL)
    with pytest.raises(RunActive):
        await repo.add_user_message(chat.id, alice, message("둘"), TTL)
    later = message("둘", at=datetime.now(UTC) + timedelta(seconds=TTL + 1))
    await repo.add_user_message(chat.id, alice, later, TTL)  # the stuck run stopped blocking
    await repo.fail_run(chat.id, str(first.job_id))  # the old run's end frees nothing now
    with pytest.raises(RunActive):
        await repo.add_user_message(chat.id, alice, message("셋"), TTL)
    await repo.fail_run(chat.id, str(later.job_id))
    await repo.add_user_message(chat.id, alice, message("셋"), TTL)


async def test_concurrent_messages_get_distinct_seqs_and_exact_counters(
    repo: ConversationRepository,
) -> None:
    alice = user()
    chat = await repo.create(alice, "t", datetime.now(UTC))
    sent = [message(f"m{n}") for n in range(10)]
    await asyncio.gather(*(repo.add_user_message(chat.id, alice, m, 0) for m in sent))
    kept = await repo.messages(chat.id, None, 20)
    assert [m.seq for m in kept] == list(range(1, 11))
    found = await repo.get(chat.id, alice)
    assert found is not None and found.message_count == 10
    assert found.preview == kept[-1].content


async def test_concurrent_answers_of_one_run_store_one_message(
    repo: ConversationRepository,
) -> None:
    alice = user()
    chat = await repo.create(alice, "t", datetime.now(UTC))
    asked = message("질문")
    await repo.add_user_message(chat.id, alice, asked, TTL)
    job = str(asked.job_id)
    reply = dataclasses.replace(message("답", role="assistant"), job_id=job)
    stored = await asyncio.gather(*(repo.finish_run(chat.id, job, reply) for _ in range(5)))
    assert {s.id for s in stored if s is not None} == {reply.id}
    found = await repo.get(chat.id, alice)
    assert found is not None and (found.message_count, found.active_job_id) == (2, None)


async def test_a_deleted_conversation_takes_no_answer(repo: ConversationRepository) -> None:
    alice = user()
    chat = await repo.create(alice, "t", datetime.now(UTC))
    asked = message("질문")
    await repo.add_user_message(chat.id, alice, asked, TTL)
    await repo.delete(chat.id, alice)
    reply = dataclasses.replace(message("답", role="assistant"), job_id=asked.job_id)
    assert await repo.finish_run(chat.id, str(asked.job_id), reply) is None
    assert await repo.message(reply.id) is None


async def test_deleted_and_idle_conversations_are_forgotten_once(
    repo: ConversationRepository,
) -> None:
    alice, now = user(), datetime.now(UTC)
    idle = await repo.create(alice, "idle", now - timedelta(days=2))
    gone = await repo.create(alice, "gone", now)
    fresh = await repo.create(alice, "fresh", now)
    busy = await repo.create(alice, "busy", now - timedelta(days=3))
    await repo.add_user_message(busy.id, alice, message("아직", at=now - timedelta(days=3)), 0)
    await repo.delete(gone.id, alice)
    due = await repo.forgettable(86_400, 10)
    assert due == [idle.id, gone.id]  # oldest activity first; a running one is left alone
    assert fresh.id not in due and busy.id not in due
    await repo.forgot(due)
    assert await repo.forgettable(86_400, 10) == []
    again = message("다시")
    await repo.add_user_message(idle.id, alice, again, 0)  # remembered again
    await repo.fail_run(idle.id, str(again.job_id))  # and its run over
    assert await repo.forgettable(0, 10) == [fresh.id, idle.id]
