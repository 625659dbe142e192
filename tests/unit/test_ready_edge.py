"""`/ready` includes the edge: 503 while the authorizer cannot decide, 200 when it can.

The mesh with an unreachable authz (both adapters) is the real thing; the probe route with
an edge that says ready or not is checked over a fake `AuthzCheck`; the real Go authz, up and
then stopped, is tests/e2e/test_ready_edge.py."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from eventing.broker.memory import InMemoryBroker
from functions.kit.authz_check import Headers, Verdict
from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.operations import probes
from functions.kit.settings import Settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _ready(app: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mesh") as client:
        return await client.get("/ready")


@pytest.fixture(params=["grpc", "http"])
async def mesh_without_its_authz(request: pytest.FixtureRequest) -> AsyncIterator[Mesh]:
    port = _closed_port()
    where = (
        {"authz_grpc_addr": f"127.0.0.1:{port}"}
        if request.param == "grpc"
        else {"authz_url": f"http://127.0.0.1:{port}"}
    )
    mesh = Mesh(Settings(mode="embedded", **where), build_registry())
    await mesh.start()
    try:
        yield mesh
    finally:
        await mesh.close()


async def test_an_unreachable_authorizer_makes_the_mesh_not_ready(
    mesh_without_its_authz: Mesh,
) -> None:
    answer = await _ready(mesh_without_its_authz.app)
    assert answer.status_code == 503
    body = answer.json()
    assert body["ready"] is False
    assert "unreachable" in body["edge"] and body["detail"].startswith("edge: ")


async def test_without_an_edge_ready_says_nothing_of_one() -> None:
    mesh = Mesh(Settings(mode="embedded"), build_registry())
    await mesh.start()
    try:
        answer = await _ready(mesh.app)
    finally:
        await mesh.close()
    assert answer.status_code == 200 and "edge" not in answer.json()


class FakeEdge:
    """An `AuthzCheck` whose readiness the test sets."""

    def __init__(self, why: str | None) -> None:
        self.why = why

    async def check(self, method: str, target: str, headers: Headers) -> Verdict | None:
        return Verdict(200)

    async def not_ready(self) -> str | None:
        return self.why

    async def aclose(self) -> None:
        return None


async def _describe() -> dict[str, Any]:
    return {"functions": 0, "mode": "embedded", "serve": "all", "consuming": []}


@pytest.mark.parametrize(
    ("why", "status"), [(None, 200), ("authorizer not ready: revocations loading", 503)]
)
async def test_ready_follows_the_edges_readiness(why: str | None, status: int) -> None:
    broker = InMemoryBroker()
    await broker.start()
    app = FastAPI()
    app.include_router(probes(broker, _describe, FakeEdge(why)))
    try:
        answer = await _ready(app)
    finally:
        await broker.close()
    assert answer.status_code == status
    assert answer.json()["edge"] == (why or "ready")
    assert answer.json()["ready"] is (why is None)


async def test_the_openapi_document_says_ready_includes_the_edge() -> None:
    mesh = Mesh(Settings(mode="embedded"), build_registry())
    await mesh.start()
    try:
        transport = httpx.ASGITransport(app=mesh.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mesh") as client:
            doc = (await client.get("/openapi.json")).json()
    finally:
        await mesh.close()
    unready = doc["paths"]["/ready"]["get"]["responses"]["503"]["description"]
    assert "authorizer" in unready
    assert "edge" in doc["components"]["schemas"]["Readiness"]["properties"]
