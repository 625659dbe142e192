"""The local mesh end to end over HTTP: ingress -> function -> reply -> function, both modes."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from eventing.codec import to_http_binary, to_http_structured
from functions.kit import functions as kit
from functions.kit.mesh import Mesh
from functions.kit.registry import Registry
from functions.kit.settings import Settings
from tests.support import chain
from tests.support.events import ORDER, Order, make_test_catalog
from tests.support.recorder import eventually

CATALOG = make_test_catalog()
INGRESS = "/ingress/eco2/default"


@pytest.fixture
def embedded_settings() -> Settings:
    return Settings(mode="embedded")


@pytest.fixture
def real_settings(amqp_url: str, redis_url_and_prefix: tuple[str, str]) -> Settings:
    url, prefix = redis_url_and_prefix
    return Settings(mode="real", amqp_url=amqp_url, redis_url=url, redis_prefix=prefix)


@pytest.fixture(params=["embedded", pytest.param("real", marks=pytest.mark.integration)])
def settings(request: pytest.FixtureRequest) -> Settings:
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


@pytest.fixture
async def mesh(settings: Settings) -> AsyncIterator[tuple[Mesh, chain.Journal]]:
    journal = chain.Journal()
    registry = Registry((*chain.FUNCTIONS, *kit.FUNCTIONS), CATALOG)
    mesh = Mesh(settings, registry, {"journal": journal})
    await mesh.start()
    yield mesh, journal
    await mesh.close()


@pytest.fixture
async def client(mesh: tuple[Mesh, chain.Journal]) -> AsyncIterator[httpx.AsyncClient]:
    """The internal listener, as an operator the edge let through (it injects x-operator)."""
    transport = httpx.ASGITransport(app=mesh[0].internal_app)
    operator = {"x-operator": "operator:test"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://mesh-internal", headers=operator
    ) as http:
        yield http


@pytest.fixture
async def public(mesh: tuple[Mesh, chain.Journal]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mesh[0].app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mesh") as http:
        yield http


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", INGRESS),
        ("POST", "/internal/dead-letters"),
        ("GET", "/admin/dead-letters"),
        ("POST", "/admin/dead-letters/replay"),
        ("POST", "/admin/canary"),
    ],
)
async def test_internal_paths_do_not_exist_on_the_public_listener(
    mesh: tuple[Mesh, chain.Journal], public: httpx.AsyncClient, method: str, path: str
) -> None:
    event = CATALOG.make(Order(n=7))
    headers, body = to_http_binary(event)
    headers["x-operator"] = "operator:forged"  # a client cannot make itself an operator
    response = await public.request(method, path, headers=headers, content=body)
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert mesh[1] == []


async def test_operator_calls_need_the_operator_identity(mesh: tuple[Mesh, chain.Journal]) -> None:
    transport = httpx.ASGITransport(app=mesh[0].internal_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mesh-internal") as anon:
        for method, path in [("GET", "/admin/dead-letters"), ("POST", "/admin/canary"),
                             ("POST", "/admin/dead-letters/replay")]:  # fmt: skip
            response = await anon.request(method, path, json={})
            assert response.status_code == 401, path
            assert response.json()["code"] == "OPERATOR_REQUIRED"


@pytest.mark.parametrize("encode", [to_http_binary, to_http_structured])
async def test_event_posted_to_ingress_runs_a_chain_of_two_functions(
    mesh: tuple[Mesh, chain.Journal], client: httpx.AsyncClient, encode: object
) -> None:
    _, journal = mesh
    event = CATALOG.make(Order(n=42), extensions={"partitionkey": "user-1"})
    headers, body = encode(event)  # type: ignore[operator]
    response = await client.post(INGRESS, headers=headers, content=body)
    assert response.status_code == 202, response.text
    await eventually(lambda: len(journal) == 1, what="the chain to finish")
    relayed = journal[0]
    assert relayed.get_data() == {"n": 42, "hops": 1}
    assert relayed["source"] == "/tests/relay"
    assert relayed["partitionkey"] == "user-1"  # correlation travels with the reply


@pytest.mark.parametrize(
    ("headers", "body", "code", "reason"),
    [
        (
            {"ce-type": ORDER, "ce-source": "/t", "ce-specversion": "1.0"},
            b"{}",
            "MALFORMED_EVENT",
            "id",
        ),
        (
            {
                "ce-id": "1",
                "ce-type": "kr.eco2.nope.v1",
                "ce-source": "/t",
                "ce-specversion": "1.0",
            },
            b"{}",
            "UNKNOWN_EVENT_TYPE",
            "not in the catalog",
        ),
        (
            {
                "ce-id": "1",
                "ce-type": ORDER,
                "ce-source": "/t",
                "ce-specversion": "1.0",
                "content-type": "application/json",
            },
            b'{"n": "many"}',
            "MALFORMED_EVENT",
            "schema",
        ),
        (
            {"content-type": "application/cloudevents+json"},
            b"[1,2]",
            "MALFORMED_EVENT",
            "JSON object",
        ),
        (
            {"ce-id": "1", "ce-type": ORDER, "ce-source": "/t", "ce-specversion": "0.1"},
            b"{}",
            "MALFORMED_EVENT",
            "specversion",
        ),
    ],
)
async def test_ingress_rejects_bad_events_with_a_reason(  # noqa: PLR0917
    mesh: tuple[Mesh, chain.Journal],
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: bytes,
    code: str,
    reason: str,
) -> None:
    response = await client.post(INGRESS, headers=headers, content=body)
    assert response.status_code == 400
    assert response.json()["code"] == code and reason in response.json()["detail"]
    assert mesh[1] == []


async def test_health_ready_and_canary(
    client: httpx.AsyncClient, public: httpx.AsyncClient
) -> None:
    for listener in (public, client):
        assert (await listener.get("/health")).status_code == 200
        ready = await listener.get("/ready")
        assert ready.status_code == 200 and ready.json()["ready"] is True
    probe = await client.post("/admin/canary")
    assert probe.status_code == 200 and probe.json()["round_trip_ms"] > 0


async def test_dead_letters_listed_and_replayed_over_http(
    mesh: tuple[Mesh, chain.Journal], client: httpx.AsyncClient
) -> None:
    event = CATALOG.make(Order(n=1, fail_times=1), event_id=str(uuid.uuid4()))
    headers, body = to_http_binary(event)
    assert (await client.post(INGRESS, headers=headers, content=body)).status_code == 202
    letters: list[dict[str, object]] = []

    async def dead() -> bool:
        letters[:] = (await client.get("/admin/dead-letters")).json()
        return len(letters) == 1

    await eventually(dead, what="a dead letter")
    assert letters[0]["trigger"] == "test-relay" and letters[0]["attempts"] == 2
    assert "cannot be relayed" in str(letters[0]["error"])
    replay = await client.post("/admin/dead-letters/replay", json={"ids": [letters[0]["id"]]})
    assert replay.json() == {"replayed": 1}  # fails again: the cause was not fixed
    await eventually(dead, what="the replayed event to dead-letter again")


async def test_knative_dead_letter_sink_keeps_the_cause_for_replay(
    mesh: tuple[Mesh, chain.Journal], client: httpx.AsyncClient
) -> None:
    event = CATALOG.make(Order(n=3))
    event["knativeerrordest"] = "http://test-relay.eco2.svc.cluster.local"
    event["knativeerrorcode"] = "500"
    event["knativeerrordata"] = base64.b64encode(b"boom").decode()
    headers, body = to_http_binary(event)
    assert (
        await client.post("/internal/dead-letters", headers=headers, content=body)
    ).status_code == 202
    letters = (await client.get("/admin/dead-letters")).json()
    assert len(letters) == 1
    assert letters[0]["trigger"] == "test-relay"
    assert letters[0]["error"] == "HTTP 500 from http://test-relay.eco2.svc.cluster.local: boom"
    assert "knativeerrorcode" not in letters[0]["event"]
    assert (await client.post("/admin/dead-letters/replay", json={})).json() == {"replayed": 1}
    await eventually(lambda: len(mesh[1]) == 1, what="the replayed event to finish the chain")


async def test_dead_letter_sink_refuses_garbage(client: httpx.AsyncClient) -> None:
    response = await client.post("/internal/dead-letters", content=b"not an event")
    assert response.status_code == 400 and response.json()["code"] == "MALFORMED_EVENT"
    assert (await client.get("/admin/dead-letters")).json() == []
