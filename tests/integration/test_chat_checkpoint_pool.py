"""The PostgreSQL checkpoint saver uses its pool concurrently: one run's checkpoint query does
not wait for another's. LangGraph's `AsyncPostgresSaver` serialises every query behind one
lock even on a pool (langgraph#7259); with 250 runs per worker that queue made each graph step
wait seconds (the chat bench: 14 s from the message to the answer's first request at N=100)."""

from __future__ import annotations

import asyncio

import pytest
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from functions.chat.memory.checkpoints import postgres_saver
from functions.kit.container import Container
from functions.kit.settings import Settings

pytestmark = pytest.mark.integration


async def test_a_query_does_not_wait_for_another_one_in_flight(pg_dsn: str) -> None:
    container = Container(Settings(mode="real", pg_dsn=pg_dsn), {})
    try:
        saver = await postgres_saver(pg_dsn, 4, container)
        assert isinstance(saver, AsyncPostgresSaver)
        config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
        async with saver._cursor() as held:  # another run's query, not finished yet
            await held.execute("SELECT 1")
            found = await asyncio.wait_for(saver.aget_tuple(config), 10)  # type: ignore[arg-type]
        assert found is None  # answered meanwhile (nothing stored under "t")
    finally:
        await container.close()
