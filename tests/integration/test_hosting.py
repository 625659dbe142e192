"""A function served alone (the deployed bare ASGI host, and functions-framework), speaking
the Knative reply contract."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from functions_framework.aio import create_asgi_app
from starlette.applications import Starlette
from starlette.routing import Route

from eventing.catalog import default_catalog
from eventing.codec import from_http_request, to_http_binary, to_http_structured
from eventing.events.mesh import CanaryRequested
from functions.kit.bootstrap import build_registry
from functions.kit.declare import Trigger, prefix
from functions.kit.hosting import HostedEventFunction, create_event_app
from functions.kit.manifests import command
from functions.kit.registry import Registry
from functions.kit.settings import Settings
from tests.support import chain
from tests.support.events import RELAYED, Relayed, make_test_catalog

CATALOG = default_catalog()
HOSTING = str(Path(__file__).parents[2] / "functions" / "kit" / "hosting.py")


def probe() -> object:
    return CATALOG.make(CanaryRequested(probe_id="p-1", sent_at=datetime.now(UTC)))


@pytest.fixture(params=["deployed", "functions-framework"])
async def client(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    """The deployed bare ASGI host, and the same function under functions-framework."""
    monkeypatch.setenv("ECO2_FUNCTION", "mesh-canary")
    monkeypatch.setenv("ECO2_DOMAIN", "kit")
    app: Any = (
        create_event_app()
        if request.param == "deployed"
        else create_asgi_app(target="serve", source=HOSTING, signature_type="http")
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fn"
    ) as http:
        yield http


@pytest.mark.parametrize("encode", [to_http_binary, to_http_structured])
async def test_reply_event_comes_back_in_the_response(
    client: httpx.AsyncClient, encode: object
) -> None:
    event = probe()
    headers, body = encode(event)  # type: ignore[operator]
    response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 200, response.text
    reply = from_http_request(dict(response.headers), response.content)
    assert reply["type"] == "kr.eco2.mesh.canary.echoed.v1"
    assert reply.get_data()["probe_id"] == "p-1"


async def test_redelivery_returns_the_same_reply_without_rerunning(
    client: httpx.AsyncClient,
) -> None:
    headers, body = to_http_binary(probe())
    first = await client.post("/", headers=headers, content=body)
    second = await client.post("/", headers=headers, content=body)
    assert first.status_code == second.status_code == 200
    assert first.headers["ce-id"] == second.headers["ce-id"]
    assert first.content == second.content  # the kept reply, not a fresh echo


async def test_malformed_event_is_a_400_with_a_reason(client: httpx.AsyncClient) -> None:
    response = await client.post("/", headers={"ce-type": "x", "ce-specversion": "1.0"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "missing required attribute(s): id, source",
        "code": "MALFORMED_EVENT",
    }


async def test_an_event_over_the_body_limit_is_refused_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ECO2_FUNCTION", "mesh-canary")
    transport = httpx.ASGITransport(app=create_event_app(max_body_bytes=64))
    async with httpx.AsyncClient(transport=transport, base_url="http://fn") as http:
        headers, body = to_http_binary(probe())
        response = await http.post("/", headers=headers, content=body + b" " * 100)
    assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FF_COMMAND = ["functions-framework", "--source", HOSTING, "--target", "serve",
              "--signature-type", "http", "--asgi"]  # fmt: skip


@pytest.mark.parametrize("deployed", [True, False], ids=["manifest-command", "functions-fw"])
async def test_the_command_serves_the_function(deployed: bool) -> None:
    port = _free_port()
    canary = build_registry(domains=["kit"]).get("mesh-canary")
    program, *args = command(canary) if deployed else FF_COMMAND
    args = [a for a in args if a not in ("--host", "0.0.0.0", "--port", "8080")]
    env = {**os.environ, "ECO2_FUNCTION": "mesh-canary", "ECO2_DOMAIN": "kit"}
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name(program)),
        *args,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(200):
                try:
                    health = await http.get("/health")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert health.json()["function"] == "mesh-canary"
            headers, body = to_http_binary(probe())
            response = await http.post("/", headers=headers, content=body)
            assert response.status_code == 200
            assert response.headers["ce-type"] == "kr.eco2.mesh.canary.echoed.v1"
    finally:
        proc.terminate()
        await proc.wait()


async def test_host_rechecks_filters_that_knative_rabbitmq_ignores() -> None:
    journal = chain.Journal()
    fn = replace(
        chain.FUNCTIONS[1],
        trigger=Trigger(type=RELAYED, filters=(prefix("subject", "scan/"),)),
    )
    registry = Registry((fn,), make_test_catalog())
    host = await HostedEventFunction.build(Settings(), fn, registry, {"journal": journal})
    app = Starlette(routes=[Route("/", host.handle, methods=["POST"])])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fn"
    ) as http:
        for subject, status in (("chat/1", 202), ("scan/1", 202)):
            event = registry.catalog.make(Relayed(n=1, hops=1), subject=subject)
            headers, body = to_http_binary(event)
            assert (await http.post("/", headers=headers, content=body)).status_code == status
    assert [e["subject"] for e in journal] == ["scan/1"]
