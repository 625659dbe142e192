"""CloudEvents on the wire: HTTP binary and structured modes and the AMQP binding.

The SDK does the marshalling; this module adds what the SDK leaves out: required attributes
are checked *before* the SDK would quietly invent a missing `id` (which would defeat
idempotency), and every SDK exception becomes a `MalformedEventError` with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudevents import exceptions as ce_errors
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent, from_http

from eventing.errors import MalformedEventError

REQUIRED = ("id", "source", "specversion", "type")
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
AMQP_PREFIX = "cloudEvents_"  # CloudEvents AMQP binding 1.0.2 application-property prefix


def _check_required(attributes: Mapping[str, Any]) -> None:
    missing = [name for name in REQUIRED if not attributes.get(name)]
    if missing:
        raise MalformedEventError(f"missing required attribute(s): {', '.join(missing)}")
    if attributes["specversion"] != "1.0":
        raise MalformedEventError(f"unsupported specversion {attributes['specversion']!r}")


def _is_structured(headers: Mapping[str, str]) -> bool:
    return headers.get("content-type", "").startswith(STRUCTURED_CONTENT_TYPE)


def from_http_request(headers: Mapping[str, str], body: bytes) -> CloudEvent:
    """Decode an HTTP request (binary or structured mode) into a validated CloudEvent."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if _is_structured(lowered):
        try:
            envelope = json.loads(body or b"null")
        except ValueError as exc:
            raise MalformedEventError(f"structured event is not JSON: {exc}") from exc
        if not isinstance(envelope, dict):
            raise MalformedEventError("structured event must be a JSON object")
        _check_required(envelope)
    else:
        _check_required({k[3:]: v for k, v in lowered.items() if k.startswith("ce-")})
    try:
        return from_http(lowered, body)
    except ce_errors.GenericException as exc:
        raise MalformedEventError(f"not a CloudEvent: {exc}") from exc


def to_http_binary(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    headers, body = to_binary(event, data_marshaller=_marshal_data)
    return dict(headers), _as_bytes(body)


def to_http_structured(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    headers, body = to_structured(event)
    return dict(headers), _as_bytes(body)


@dataclass(frozen=True, slots=True)
class AmqpMessage:
    """The AMQP binding's view of an event: application properties, content type, body."""

    headers: dict[str, str]
    content_type: str | None
    body: bytes


def to_amqp(event: CloudEvent) -> AmqpMessage:
    """Binary-mode AMQP: attributes become `cloudEvents_*` application properties."""
    http_headers, body = to_http_binary(event)
    content_type = http_headers.pop("content-type", None)
    headers = {
        AMQP_PREFIX + name[3:]: value
        for name, value in http_headers.items()
        if name.startswith("ce-")
    }
    return AmqpMessage(headers=headers, content_type=content_type, body=body)


def from_amqp(headers: Mapping[str, Any], content_type: str | None, body: bytes) -> CloudEvent:
    """Decode an AMQP message in binary or structured mode."""
    if content_type and content_type.startswith(STRUCTURED_CONTENT_TYPE):
        return from_http_request({"content-type": content_type}, body)
    http_headers = {
        "ce-" + name[len(AMQP_PREFIX) :]: _header_text(value)
        for name, value in headers.items()
        if name.startswith(AMQP_PREFIX)
    }
    if content_type:
        http_headers["content-type"] = content_type
    return from_http_request(http_headers, body)


def _header_text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _marshal_data(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _as_bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body


def attributes_of(event: CloudEvent) -> dict[str, Any]:
    """The event's context attributes (no data), for filtering and logging."""
    return {name: event[name] for name in event}
