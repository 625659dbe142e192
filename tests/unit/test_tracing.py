"""Trace context as the CloudEvents distributed-tracing extension (eventing/tracing.py): carried
by every binding of the codec, producer → consumer parentage, nothing at all when off."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from cloudevents.http import CloudEvent
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from eventing import tracing
from eventing.broker.dispatch import Dispatcher
from eventing.broker.port import Subscription
from eventing.bus.memory import InMemoryEventBus
from eventing.codec import (
    from_amqp,
    from_http_request,
    to_amqp,
    to_http_binary,
    to_http_structured,
)
from eventing.idempotency import MemoryProcessedStore

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
STATE = "congo=t61rcWkgMzE"


def _event(**extensions: str) -> CloudEvent:
    attributes = {"type": "kr.eco2.scan.requested.v1", "source": "/eco2/scan/api", "id": "e1"}
    return CloudEvent({**attributes, **extensions}, {"job_id": "j1"})


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    yield exporter
    tracing.uninstall()


@pytest.mark.parametrize("mode", ["binary", "structured", "amqp"])
def test_every_binding_carries_traceparent_and_tracestate(mode: str) -> None:
    event = _event(traceparent=PARENT, tracestate=STATE)
    if mode == "amqp":
        message = to_amqp(event)
        assert message.headers["cloudEvents_traceparent"] == PARENT
        back = from_amqp(message.headers, message.content_type, message.body)
    else:
        encode = to_http_binary if mode == "binary" else to_http_structured
        headers, body = encode(event)
        if mode == "binary":
            assert headers["ce-traceparent"] == PARENT
        back = from_http_request(headers, body)
    assert (back["traceparent"], back["tracestate"]) == (PARENT, STATE)


async def test_a_delivery_is_the_child_of_the_publish_that_caused_it(
    spans: InMemorySpanExporter,
) -> None:
    published: list[CloudEvent] = []

    async def publish(event: CloudEvent) -> None:
        published.append(event)

    class Replies:
        async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
            return [_event(traceparent=str(event["traceparent"]))]  # inherited, as invoke does

    event = _event()
    with tracing.producing(event):
        pass
    assert event["traceparent"]
    dispatcher = Dispatcher(publish, MemoryProcessedStore())
    await dispatcher.process(Subscription("scan-vision", Replies()), from_amqp(
        to_amqp(event).headers, "application/json", to_amqp(event).body), attempt=1)  # fmt: skip
    producer, consumer, reply = sorted(spans.get_finished_spans(), key=lambda s: s.start_time or 0)
    assert (producer.kind, consumer.kind, reply.kind) == (
        SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.PRODUCER)  # fmt: skip
    assert consumer.parent is not None and producer.context is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context is not None and reply.parent is not None
    assert reply.parent.span_id == consumer.context.span_id
    assert (consumer.attributes or {})["eco2.outcome"] == "ack"
    [sent] = published  # the reply carries its own publish span, not its cause's
    assert reply.context is not None
    assert sent["traceparent"].split("-")[2] == format(reply.context.span_id, "016x")


async def test_a_progress_event_keeps_its_append_traceparent(
    spans: InMemorySpanExporter,
) -> None:
    bus = InMemoryEventBus()
    await bus.register_job("j1", "u1", "scan")
    appended = await bus.publish_progress("j1", "vision", "started")
    [read] = (await bus.read_since("j1", 0)).events
    [span] = spans.get_finished_spans()
    assert span.name == "bus append vision" and span.context is not None
    assert appended is not None and appended.traceparent == read.traceparent
    assert read.traceparent is not None
    assert read.traceparent.split("-")[2] == format(span.context.span_id, "016x")
    assert "tp" not in read.data  # never sent to clients


async def test_nothing_is_traced_or_stamped_when_tracing_is_off() -> None:
    assert not tracing.enabled()
    event = _event()
    with tracing.producing(event):
        pass
    assert event.get("traceparent") is None
    bus = InMemoryEventBus()
    await bus.register_job("j1", "u1", "scan")
    appended = await bus.publish_progress("j1", "vision", "started")
    assert appended is not None and appended.traceparent is None
