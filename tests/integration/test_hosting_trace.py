"""A function served alone (the deployed bare ASGI host) continues the caller's trace: its
delivery span is the child of the `traceparent` the event arrived with, and the reply in the
response carries the reply's own span, a child of the delivery. `GET /metrics` counts it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from eventing import tracing
from eventing.catalog import default_catalog
from eventing.codec import from_http_request, to_http_binary
from eventing.events.mesh import CanaryRequested
from functions.kit.hosting import create_event_app

CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    yield exporter
    tracing.uninstall()


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("ECO2_FUNCTION", "mesh-canary")
    monkeypatch.setenv("ECO2_DOMAIN", "kit")
    transport = httpx.ASGITransport(app=create_event_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://fn") as http:
        yield http


async def test_a_hosted_delivery_continues_the_callers_trace(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    event = default_catalog().make(CanaryRequested(probe_id="p-1", sent_at=datetime.now(UTC)))
    event["traceparent"] = CALLER
    headers, body = to_http_binary(event)
    response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 200, response.text
    reply = from_http_request(dict(response.headers), response.content)
    by_name = {s.name: s for s in spans.get_finished_spans()}
    delivery = by_name["deliver mesh-canary"]
    published = by_name[f"publish {reply['type']}"]
    assert delivery.context is not None and published.context is not None
    assert format(delivery.context.trace_id, "032x") == CALLER.split("-")[1]
    assert (
        delivery.parent is not None
        and format(delivery.parent.span_id, "016x") == "00f067aa0ba902b7"
    )
    assert published.parent is not None and published.parent.span_id == delivery.context.span_id
    assert reply["traceparent"].split("-")[2] == format(published.context.span_id, "016x")
    scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert 'eco2_deliveries_total{function="mesh-canary",outcome="ack"} 1.0' in scraped.text
