"""An event is decoded and validated once per delivery on its way to the handler (issue 8):
hosted (functions-framework's request → the host's check → the handler's `data`) and in the
in-process broker (publish → a copy per trigger → the handler)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pydantic import model_validator
from starlette.applications import Starlette
from starlette.routing import Route

from eventing.broker.memory import InMemoryBroker
from eventing.catalog import Catalog, EventData
from eventing.codec import to_http_binary
from eventing.idempotency import MemoryProcessedStore
from functions.kit.bootstrap import subscription_for
from functions.kit.declare import Function, Trigger
from functions.kit.hosting import HostedEventFunction
from functions.kit.invoke import LocalFunction
from functions.kit.registry import Registry
from functions.kit.settings import Settings
from tests.support.events import make_test_catalog, spec

VALIDATIONS: list[int] = []
RECEIVED: list[EventData] = []
HANDLED = asyncio.Event()


class Counted(EventData):
    n: int

    @model_validator(mode="before")
    @classmethod
    def count(cls, value: Any) -> Any:
        VALIDATIONS.append(1)
        return value


COUNTED = "kr.eco2.test.counted.v1"
CATALOG: Catalog = make_test_catalog().extended([spec("counted", Counted)])
FN = Function(
    name="test-counted",
    domain="tests",
    handler="tests.unit.test_decode_once:handle",
    trigger=Trigger(type=COUNTED),
)


async def handle(data: Counted) -> None:
    RECEIVED.append(data)
    HANDLED.set()


def _reset() -> None:
    VALIDATIONS.clear()
    RECEIVED.clear()
    HANDLED.clear()


async def test_a_hosted_delivery_validates_once() -> None:
    registry = Registry((FN,), CATALOG)
    host = await HostedEventFunction.build(Settings(), FN, registry)
    app = Starlette(routes=[Route("/", host.handle, methods=["POST"])])
    headers, body = to_http_binary(CATALOG.make(Counted(n=1)))
    _reset()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fn"
    ) as http:
        response = await http.post("/", headers=headers, content=body)
    assert response.status_code == 202, response.text
    assert [d.model_dump() for d in RECEIVED] == [{"n": 1}]
    assert len(VALIDATIONS) == 1


async def test_an_in_process_delivery_validates_once() -> None:
    broker = InMemoryBroker(MemoryProcessedStore())
    function = LocalFunction(FN, CATALOG, handle, {})
    broker.subscribe(subscription_for(FN, function))
    await broker.start()
    try:
        event = CATALOG.make(Counted(n=2))
        _reset()
        await broker.publish(event)
        await asyncio.wait_for(HANDLED.wait(), 5)
    finally:
        await broker.close()
    assert [d.model_dump() for d in RECEIVED] == [{"n": 2}]
    assert len(VALIDATIONS) == 1
