"""LLM usage rows in PostgreSQL: the recorder, and the real-mode container end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from pydantic import BaseModel

from eventing.catalog import default_catalog
from functions.kit.container import Container
from functions.kit.llm.errors import LLMOutputError
from functions.kit.llm.port import LLMRequest
from functions.kit.llm.postgres_usage import PostgresUsageRecorder
from functions.kit.llm.usage import UsageRecord
from functions.kit.migrations import migrate
from functions.kit.registry import collect
from functions.kit.settings import Settings

pytestmark = pytest.mark.integration
MIGRATIONS = [Path("functions/kit/llm/migrations")]


class Reply(BaseModel):
    text: str


@pytest.fixture
async def pg_pool(pg_dsn: str) -> AsyncIterator[Any]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    assert await migrate(pool, MIGRATIONS) == ["llm/0001_llm_usage", "llm/0002_llm_costs"]
    yield pool
    await pool.close()


def record(**changes: Any) -> UsageRecord:
    values: dict[str, Any] = {
        "at": datetime(2025, 5, 1, 9, 30, tzinfo=UTC),
        "job_id": "job-7",
        "task": "scan.vision",
        "provider": "openai",
        "model": "gpt-5-mini",
        "input_tokens": 1_204,
        "output_tokens": 87,
        "latency_s": 2.5,
        "ok": True,
        "error": None,
        **changes,
    }
    return UsageRecord(**values)


async def test_successes_and_failures_are_written_as_rows(pg_pool: Any) -> None:
    recorder = PostgresUsageRecorder(pg_pool)
    await recorder.record(record())
    failed = record(ok=False, input_tokens=0, output_tokens=0, error="LLM_UNAVAILABLE: 429")
    await recorder.record(failed)
    await recorder.record(record(job_id=None, task="scan.answer", error="x" * 5_000, ok=False))
    rows = await pg_pool.fetch("SELECT * FROM llm_usage ORDER BY id")
    assert [(r["job_id"], r["task"], r["ok"]) for r in rows] == [
        ("job-7", "scan.vision", True),
        ("job-7", "scan.vision", False),
        (None, "scan.answer", False),
    ]
    first = rows[0]
    assert first["at"] == datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
    assert (first["provider"], first["model"]) == ("openai", "gpt-5-mini")
    assert (first["input_tokens"], first["output_tokens"], first["latency_s"]) == (1_204, 87, 2.5)
    assert first["error"] is None
    assert rows[1]["error"] == "LLM_UNAVAILABLE: 429"
    assert len(rows[2]["error"]) == 1_000  # long errors are cut, never refused


async def test_a_run_is_settled_into_one_ledger_row_by_model(pg_pool: Any) -> None:
    recorder = PostgresUsageRecorder(pg_pool)
    await recorder.record(record(cost_usd=0.000475))
    await recorder.record(record(ok=False, input_tokens=0, output_tokens=0, cost_usd=0.0))
    await recorder.record(
        record(
            model="gemini-2.5-flash",
            provider="gemini",
            searches=1,
            input_tokens=100,
            output_tokens=10,
            cost_usd=0.035055,
        )
    )
    await recorder.record(record(job_id="job-other", cost_usd=9.0))
    first = await recorder.settle("job-7")
    again = await recorder.settle("job-7")  # a repeated end stores the same summary
    assert first == again
    assert (first.calls, first.input_tokens, first.output_tokens) == (3, 1_304, 97)
    assert first.cost_usd == pytest.approx(0.03553) and first.priced
    by_model = {m.model: m for m in first.by_model}
    assert (by_model["gpt-5-mini"].calls, by_model["gpt-5-mini"].failed) == (2, 1)
    assert by_model["gemini-2.5-flash"].searches == 1
    rows = await pg_pool.fetch(
        "SELECT job_id, calls, cost_usd, priced, by_model FROM llm_run_costs"
    )
    assert [(r["job_id"], r["calls"], r["priced"]) for r in rows] == [("job-7", 3, True)]
    assert float(rows[0]["cost_usd"]) == pytest.approx(0.03553)
    await recorder.record(record(job_id="job-8", model="mystery-1", cost_usd=None))
    assert not (await recorder.settle("job-8")).priced


async def test_the_real_mode_container_records_every_call_in_postgres(pg_dsn: str) -> None:
    settings = Settings(
        mode="real",
        pg_dsn=pg_dsn,
        llm_default_model="offline",
        llm_retries=1,
        openai_api_key=None,
        openai_base_url=None,
        gemini_api_key=None,
        gemini_base_url=None,
    )
    registry = collect(["functions.kit.llm.functions"], default_catalog())
    container = Container(settings, {}, registry.providers, registry.migrations)
    try:
        llm = await container.get("llm")  # the pool is built and the migration applied
        answered = LLMRequest(
            task="scan.answer",
            schema=Reply,
            system="",
            prompt="?",
            offline=lambda r: {"text": "잘했어요"},
            job_id="job-9",
        )
        await llm.generate(answered)
        with pytest.raises(LLMOutputError):  # no offline answer: tried twice, both recorded
            await llm.generate(LLMRequest(task="scan.vision", schema=Reply, system="", prompt="?"))
        pool = await container.pg_pool()
        rows = await pool.fetch("SELECT task, provider, ok, job_id FROM llm_usage ORDER BY id")
    finally:
        await container.close()
    assert [tuple(r) for r in rows] == [
        ("scan.answer", "offline", True, "job-9"),
        ("scan.vision", "offline", False, None),
        ("scan.vision", "offline", False, None),
    ]
