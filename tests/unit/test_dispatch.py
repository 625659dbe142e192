"""The dispatcher's own decisions, without a broker: what a dead letter's notice carries, and
that a delivered event's data is validated once on its way to the handler."""

from __future__ import annotations

from collections.abc import Sequence

from cloudevents.http import CloudEvent

from eventing.broker.dispatch import Dead, Dispatcher
from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.errors import PermanentError
from eventing.events.mesh import DEAD_LETTERED, DeadLettered
from eventing.idempotency import MemoryProcessedStore


class ImageUnreadable(PermanentError):
    """A domain's permanent failure, as a stage would raise it."""


class Fails:
    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        raise ImageUnreadable("no: colons: here are not a kind")


def _event() -> CloudEvent:
    attributes = {"type": "kr.eco2.scan.requested.v1", "source": "/eco2/scan/api", "id": "j1"}
    return CloudEvent(attributes, {"context": {"job_id": "j1"}})


async def test_the_notice_carries_the_failure_kind_as_a_field_not_in_its_text() -> None:
    published: list[CloudEvent] = []

    async def publish(event: CloudEvent) -> None:
        published.append(event)

    dispatcher = Dispatcher(publish, MemoryProcessedStore())
    sub = Subscription("scan-vision", Fails(), delivery=DeliveryPolicy(retries=0))
    outcome = await dispatcher.process(sub, _event(), attempt=1)
    assert isinstance(outcome, Dead) and outcome.error_type == "ImageUnreadable"
    [notice] = published
    assert notice["type"] == DEAD_LETTERED
    data = DeadLettered.model_validate(notice.get_data())
    assert data.error_type == "ImageUnreadable"
    assert data.error == "ImageUnreadable: no: colons: here are not a kind"
