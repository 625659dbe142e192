"""Publishing from a deployed function: POST to the broker ingress, as Knative intends.

A function process never holds a broker connection; the ingress answers 202 only once the
broker has durably accepted the event.
"""

from __future__ import annotations

import httpx
from cloudevents.http import CloudEvent

from eventing.codec import to_http_binary
from eventing.errors import BrokerUnavailableError


class IngressSender:
    """Publishes to the broker ingress over HTTP (a function cannot reach RabbitMQ directly)."""

    def __init__(self, url: str | None) -> None:
        self._url = url
        self._client = httpx.AsyncClient(timeout=10)

    async def __call__(self, event: CloudEvent) -> None:
        if not self._url:
            raise BrokerUnavailableError("ECO2_BROKER_INGRESS_URL is not set")
        headers, body = to_http_binary(event)
        try:
            response = await self._client.post(self._url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            raise BrokerUnavailableError(f"broker ingress unreachable: {exc}") from exc
        if response.status_code != 202:
            raise BrokerUnavailableError(f"broker ingress said {response.status_code}")
