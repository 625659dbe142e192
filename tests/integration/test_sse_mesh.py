"""The gateway mounted in the local mesh (`scripts/run`), as its declaration says, on the
`event_bus` the composition root provides; and the deployable app built the same way."""

from __future__ import annotations

import httpx
import pytest

from eventing.bus.port import EventBus
from functions.kit.bootstrap import build_registry
from functions.kit.deploy.sse_gateway import create_gateway_app
from functions.kit.mesh import Mesh
from functions.kit.progress import Progress
from functions.kit.settings import Settings
from tests.load.sse.harness import base_url, read_sse, serve, token_text
from tests.rig import RedisNamespace

pytestmark = pytest.mark.integration


async def stream_a_job(bus: EventBus, job_id: str) -> None:
    await bus.register_job(job_id, "alice", "chat")
    progress = Progress(bus, job_id)
    async with progress.stage("answer", start=10, end=90):
        for word in ("분리", "배출 ", "ok"):
            await progress.token(word, node="answer")
    await progress.done(result={"answer": "분리배출 ok"})


async def test_the_embedded_mesh_serves_the_event_routes() -> None:
    mesh = Mesh(Settings(), build_registry())
    async with (
        serve(mesh.app) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=10) as http,
    ):
        assert mesh.runtime is not None
        await stream_a_job(await mesh.runtime.container.get("event_bus"), "j1")
        frames = await read_sse(http, "/api/v1/chat/j1/events")
        assert [f.event for f in frames] == ["answer", "token", "token", "token", "answer", "done"]
        assert token_text(frames) == "분리배출 ok"
        denied = await http.get("/api/v1/scan/j1/events", headers={"x-user-id": "bob"})
        assert denied.status_code == 404


async def test_the_deployable_gateway_builds_its_bus_from_settings(
    redis_url_and_prefix: RedisNamespace,
) -> None:
    """`create_gateway_app()` with real-mode settings: the Redis bus from the `event_bus`
    provider; the job's events are read from history (no router needed for a finished job)."""
    url, prefix = redis_url_and_prefix
    settings = Settings(mode="real", redis_url=url, redis_prefix=prefix)
    app = create_gateway_app(settings)
    async with (
        serve(app) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=10) as http,
    ):
        await stream_a_job(app.state.gateway.bus, "j2")
        frames = await read_sse(http, "/api/v1/chat/j2/events")
        assert token_text(frames) == "분리배출 ok" and frames[-1].event == "done"
        assert (await http.get("/ready")).status_code == 200
        assert "eco2_sse_connections 0" in (await http.get("/metrics")).text
