"""W3C trace context carried through the mesh as the CloudEvents distributed-tracing extension.

A producer stamps the current span's context into the event's `traceparent`/`tracestate`
extension attributes (the codec carries them as `ce-traceparent` on HTTP binary mode, inside
the JSON envelope in structured mode and as `cloudEvents_traceparent` on AMQP); a consumer
extracts them and starts its span as their child, so one request's events form one trace
whichever broker, process or replica carried them. Progress events on the bus keep the
traceparent of their append (field `tp`), so the SSE gateway's send joins the same trace.

Only the OpenTelemetry *API* is used here (eventing/ never imports functions/ and never builds
an exporter): the composition root installs a tracer provider with `install`. Until it does,
every helper is a single `None` check: no span objects, no context switches, nothing to pay on
the hot paths when tracing is off.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cloudevents.http import CloudEvent

if TYPE_CHECKING:  # the API itself is imported when tracing is installed: not paid when off
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer, TracerProvider
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
INSTRUMENTATION = "eco2.eventing"
_propagator: TraceContextTextMapPropagator | None = None
_tracer: Tracer | None = None


def install(provider: TracerProvider) -> None:
    """Turn tracing on for this process (the composition root, once, at start)."""
    global _tracer  # noqa: PLW0603 - one tracer per process, as OpenTelemetry's own global
    _tracer = provider.get_tracer(INSTRUMENTATION)


def _w3c() -> TraceContextTextMapPropagator:
    global _propagator  # noqa: PLW0603 - built once, on first use
    if _propagator is None:
        from opentelemetry.trace.propagation.tracecontext import (  # noqa: PLC0415
            TraceContextTextMapPropagator,
        )

        _propagator = TraceContextTextMapPropagator()
    return _propagator


def uninstall() -> None:
    global _tracer  # noqa: PLW0603
    _tracer = None


def enabled() -> bool:
    return _tracer is not None


def tracer() -> Tracer | None:
    """The installed tracer, for the hosts' own spans (HTTP requests); None when off."""
    return _tracer


def carrier(context: Context | None = None) -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span, or of `context`."""
    found: dict[str, str] = {}
    _w3c().inject(found, context=context)
    return found


def context_from(headers: Mapping[str, str]) -> Context:
    """The remote parent named by a `traceparent` header/attribute (empty context if none)."""
    return _w3c().extract(headers)


def stamp(event: CloudEvent) -> None:
    """Write the current span's context into the event's extension attributes."""
    for name, value in carrier().items():
        event[name] = value


def context_of(event: CloudEvent) -> Context:
    """The producer's context carried by the event (empty when it carries none)."""
    found = {name: str(event.get(name)) for name in (TRACEPARENT, TRACESTATE) if event.get(name)}
    return _w3c().extract(found)


def _event_attributes(event: CloudEvent) -> dict[str, Any]:
    return {
        "messaging.system": "eco2",
        "messaging.message.id": str(event.get("id")),
        "cloudevents.event_type": str(event.get("type")),
        "cloudevents.event_source": str(event.get("source")),
    }


@contextlib.contextmanager
def producing(event: CloudEvent) -> Iterator[None]:
    """A producer span around one publish; the event carries that span as its parent.

    A reply inherits its cause's `traceparent` (catalog.PROPAGATED_EXTENSIONS: so a process
    with tracing off still passes the trace on); here it is replaced by this span's, which is
    itself the cause's descendant. Carriers that do not produce (the ingress, the broker
    adapters) never call this: they pass the event's context on untouched."""
    if _tracer is None:
        yield
        return
    from opentelemetry.trace import SpanKind  # noqa: PLC0415 - loaded with the tracer

    name = f"publish {event.get('type')}"
    with _tracer.start_as_current_span(
        name, kind=SpanKind.PRODUCER, attributes=_event_attributes(event)
    ):
        stamp(event)
        yield


@contextlib.contextmanager
def consuming(event: CloudEvent, trigger: str, attempt: int) -> Iterator[Span | None]:
    """The consumer span of one delivery attempt, a child of the producer's span."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind  # noqa: PLC0415 - loaded with the tracer

    attributes = {**_event_attributes(event), "eco2.trigger": trigger, "eco2.attempt": attempt}
    with _tracer.start_as_current_span(
        f"deliver {trigger}", context=context_of(event), kind=SpanKind.CONSUMER,
        attributes=attributes,
    ) as span:  # fmt: skip
        yield span


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Span | None]:
    """An internal span under the current one (bus appends); nothing when tracing is off."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(name, attributes=dict(attributes or {})) as current:
        yield current


def current_traceparent() -> str | None:
    """The current span's traceparent (None when off or outside any span)."""
    if _tracer is None:
        return None
    return carrier().get(TRACEPARENT)


def mark(traceparent: str | None, name: str, attributes: Mapping[str, Any] | None = None) -> None:
    """A zero-length span, child of `traceparent`: that something happened (an SSE frame was
    sent) in the trace that caused it."""
    if _tracer is None or not traceparent:
        return
    parent = _w3c().extract({TRACEPARENT: traceparent})
    _tracer.start_span(name, context=parent, attributes=dict(attributes or {})).end()


def set_attribute(current: Span | None, key: str, value: str | int | float | bool) -> None:
    if current is not None:
        current.set_attribute(key, value)
