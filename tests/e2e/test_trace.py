"""One trace per request, through every hop, embedded and real mode (issue 13, deliverable 3).

A scan job and a chat turn go through the real edge; the spans are collected by an in-memory
exporter. From the SSE send of each job's `done`, the chain of parents must lead back, in one
trace id, through every hop: the bus append, each stage's delivery and the reply that
triggered it, to the HTTP POST that started the job. Every progress event of the job was
appended, and sent, inside that same trace. Without the `traceparent` extension the first
delivery starts a trace of its own and the chain breaks there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from eventing import tracing
from eventing.events import chat, scan
from tests.e2e.conftest import RunningMesh, login
from tests.e2e.test_chat_flow import SEOUL
from tests.e2e.test_chat_flow import follow as follow_chat
from tests.e2e.test_scan_flow import follow as follow_scan
from tests.e2e.test_scan_flow import upload

SCAN_CHAIN = [
    "POST /api/v1/scan",
    f"publish {scan.REQUESTED}", "deliver scan-vision",
    f"publish {scan.CLASSIFIED}", "deliver scan-rule",
    f"publish {scan.RULED}", "deliver scan-answer",
    f"publish {scan.ANSWERED}", "deliver scan-reward",
    "bus append done", "sse send done",
]  # fmt: skip
CHAT_CHAIN = [
    "POST /api/v1/chat/{chat_id}/messages",
    f"publish {chat.SUBMITTED}", "deliver chat-agent",
    "bus append done", "sse send done",
]  # fmt: skip


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))  # exported as each span ends
    tracing.install(provider)
    yield exporter
    tracing.uninstall()
    provider.shutdown()


def _of_job(found: list[ReadableSpan], job_id: str, name: str) -> list[ReadableSpan]:
    return [
        s for s in found if s.name == name and (s.attributes or {}).get("eco2.job_id") == job_id
    ]


def chain_of(found: list[ReadableSpan], leaf: ReadableSpan) -> list[ReadableSpan]:
    """`leaf` and its ancestors, root first, following parent links within leaf's trace."""
    assert leaf.context is not None
    trace_id = leaf.context.trace_id
    by_id = {s.context.span_id: s for s in found if s.context and s.context.trace_id == trace_id}
    chain = [leaf]
    while chain[0].parent is not None and chain[0].parent.span_id in by_id:
        assert chain[0].parent.trace_id == trace_id
        chain.insert(0, by_id[chain[0].parent.span_id])
    return chain


async def traced_chain(
    exporter: InMemorySpanExporter, job_id: str, expected: list[str]
) -> list[ReadableSpan]:
    """The chain ending in the job's `sse send done`, once every hop of it has ended (the
    client may read `done` before the delivery that appended it has returned)."""
    chain: list[ReadableSpan] = []
    try:
        async with asyncio.timeout(15):
            while [s.name for s in chain] != expected:
                found = list(exporter.get_finished_spans())
                sent = _of_job(found, job_id, "sse send done")
                chain = chain_of(found, sent[0]) if sent else []
                if [s.name for s in chain] != expected:
                    await asyncio.sleep(0.02)  # spans end on the mesh's tasks: poll for them
    except TimeoutError:
        names = sorted({s.name for s in exporter.get_finished_spans()})
        pytest.fail(f"chain {[s.name for s in chain]} != {expected}; spans: {names}")
    return chain


def check_job_trace(exporter: InMemorySpanExporter, chain: list[ReadableSpan], job_id: str) -> None:
    root = chain[0]
    assert root.parent is None and root.kind is SpanKind.SERVER
    assert root.context is not None
    trace_id = root.context.trace_id
    kinds = {s.name: s.kind for s in chain}
    assert all(kinds[n] is SpanKind.PRODUCER for n in kinds if n.startswith("publish "))
    assert all(kinds[n] is SpanKind.CONSUMER for n in kinds if n.startswith("deliver "))
    found = list(exporter.get_finished_spans())
    appends = [s for s in found if s.name.startswith("bus append ")
               and (s.attributes or {}).get("eco2.job_id") == job_id]  # fmt: skip
    sends = [s for s in found if s.name.startswith("sse send ")
             and (s.attributes or {}).get("eco2.job_id") == job_id]  # fmt: skip
    assert len(appends) >= 2 and len(sends) >= 2
    for span in appends + sends:  # every progress event of the job, appended and sent
        assert span.context is not None and span.context.trace_id == trace_id, span.name
    by_id = {s.context.span_id: s for s in found if s.context}
    for send in sends:  # each send is the child of its event's append
        assert send.parent is not None
        assert by_id[send.parent.span_id].name == "bus append " + send.name.removeprefix(
            "sse send "
        )


async def test_one_scan_job_is_one_trace(
    running_mesh: RunningMesh, spans: InMemorySpanExporter
) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as http:
        await login(http, "tracer")
        image_url = await upload(http)
        body = {"image_url": image_url, "user_input": "다 마신 우유팩이에요"}
        submitted = await http.post("/api/v1/scan", json=body)
        assert submitted.status_code == 202, submitted.text
        job = submitted.json()
        seen = await follow_scan(http, job["stream_url"])
        assert seen[-1][0] == "done"
    chain = await traced_chain(spans, job["job_id"], SCAN_CHAIN)
    check_job_trace(spans, chain, job["job_id"])


async def test_one_chat_turn_is_one_trace(
    running_mesh: RunningMesh, spans: InMemorySpanExporter
) -> None:
    async with httpx.AsyncClient(base_url=running_mesh.url, timeout=30) as http:
        await login(http, "tracer")
        made = await http.post("/api/v1/chat")
        assert made.status_code == 201, made.text
        body: dict[str, Any] = {"message": "이 페트병 어떻게 버려?", "user_location": SEOUL}
        sent = await http.post(f"/api/v1/chat/{made.json()['id']}/messages", json=body)
        assert sent.status_code == 202, sent.text
        seen = await follow_chat(http, sent.json()["stream_url"])
        assert seen[-1][0] == "done"
    job_id = seen[-1][1]["job_id"]
    chain = await traced_chain(spans, job_id, CHAT_CHAIN)
    check_job_trace(spans, chain, job_id)
