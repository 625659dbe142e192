"""The local mesh split into processes: `eco2 run --real --serve http|events [--functions ...]`.

Real OS processes on the real RabbitMQ, Redis and PostgreSQL (one vhost, prefix and database
per test): the HTTP process publishes, an events process consumes, and the canary's probe and
echo cross between them through RabbitMQ.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import httpx
import psutil
import pytest

from functions.kit.bootstrap import build_registry
from functions.kit.cli import main
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from functions.kit.worker import Role, RoleError
from tests.rig import RedisNamespace

ROOT = Path(__file__).resolve().parents[2]
CANARY_QUEUE = "eco2.default.t.mesh-canary"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_embedded_mode_refuses_a_split(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RoleError, match="needs --real"):
        Mesh(Settings(mode="embedded"), build_registry(), role=Role.parse("http"))
    assert main(["run", "--serve", "events", "--port", str(_port())]) == 2
    assert "--serve events needs --real" in capsys.readouterr().err


def test_function_selection_by_globs_and_typos_are_refused() -> None:
    registry = build_registry()
    chosen = Role.parse("events", "mesh-*,character-g*").event_functions(registry)
    assert [f.name for f in chosen] == ["character-grant", "mesh-canary"]
    assert Role.parse("http").event_functions(registry) == []
    with pytest.raises(RoleError, match="scna-\\* matches none of"):
        Role.parse("events", "scna-*").event_functions(registry)
    with pytest.raises(RoleError, match="--serve events"):
        Role.parse("http", "mesh-*").check(Settings(mode="real"))


@pytest.fixture
def env(amqp_url: str, redis_url_and_prefix: RedisNamespace, pg_dsn: str) -> dict[str, str]:
    url, prefix = redis_url_and_prefix
    return {
        **os.environ,
        "ECO2_MODE": "real",
        "ECO2_AMQP_URL": amqp_url,
        "ECO2_REDIS_URL": url,
        "ECO2_REDIS_PREFIX": prefix,
        "ECO2_PG_DSN": pg_dsn,
        "ECO2_LOG_LEVEL": "WARNING",
    }


@contextlib.asynccontextmanager
async def mesh_process(env: dict[str, str], *args: str) -> AsyncIterator[tuple[str, str]]:
    """`eco2 run --real <args>` as its own process; yields its public and internal URLs once
    /ready says 200."""
    port, internal = _port(), _port()
    command = [sys.executable, "-m", "functions.kit.cli", "run", "--real", "--port", str(port),
               "--internal-port", str(internal)]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(*command, *args, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/ready")).status_code == 200:
                        break
                assert proc.returncode is None, f"eco2 run {args} exited with {proc.returncode}"
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"eco2 run {args} never became ready")
        yield url, f"http://127.0.0.1:{internal}"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


OPERATOR = {"x-operator": "operator:test"}  # what the edge injects for an operator token


async def _waiting_in(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)


async def _check_events_process(url: str) -> None:
    """Ready, consuming what was selected, and nothing public on its port."""
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        ready = (await http.get("/ready")).json()
        assert ready["serve"] == "events" and ready["consuming"] == ["mesh-canary"]
        assert (await http.get("/health")).status_code == 200
        for path in ("/admin/canary", "/api/v1/users/me", "/ingress/eco2/default"):
            assert (await http.post(path)).status_code in (404, 405), path


@pytest.mark.integration
async def test_canary_round_trips_between_an_http_process_and_an_events_process(
    env: dict[str, str], amqp_url: str
) -> None:
    async with (
        mesh_process(env, "--serve", "http") as (_, internal),
        httpx.AsyncClient(base_url=internal, timeout=10, headers=OPERATOR) as http,
    ):
        assert (await http.get("/ready")).status_code == 200  # the internal listener is up
        ready = (await http.get("/ready")).json()
        assert ready["serve"] == "http" and ready["consuming"] == []
        # no worker yet: the probe times out, but waits in its declared trigger queue
        lonely = await http.post("/admin/canary", params={"timeout_s": 0.5})
        assert lonely.status_code == 503
        assert await _waiting_in(amqp_url, CANARY_QUEUE) == 1
        async with mesh_process(env, "--serve", "events", "--functions", "mesh-*") as (worker, _):
            await _check_events_process(worker)
            echoed = await http.post("/admin/canary")
            assert echoed.status_code == 200, echoed.text
            assert echoed.json()["round_trip_ms"] > 0
        assert await _waiting_in(amqp_url, CANARY_QUEUE) == 0  # the early probe was consumed


@pytest.mark.integration
async def test_http_side_served_by_several_uvicorn_workers(env: dict[str, str]) -> None:
    async with mesh_process(env, "--serve", "http", "--workers", "2") as (api, internal):
        supervisor = next(
            p for p in psutil.process_iter(["cmdline"])
            if f"--port={api.rsplit(':', 1)[1]}" in "=".join(p.info["cmdline"] or [])
        )  # fmt: skip
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:
            for _ in range(10):
                ready = await http.get("/ready", headers={"connection": "close"})
                assert ready.status_code == 200 and ready.json()["serve"] == "http"
        workers = [c for c in supervisor.children() if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2  # one mesh per uvicorn worker
        async with httpx.AsyncClient(base_url=internal, timeout=10) as http:
            for _ in range(10):  # every worker serves the shared internal port (SO_REUSEPORT)
                ready = await http.get("/ready", headers={"connection": "close"})
                assert ready.status_code == 200 and ready.json()["serve"] == "http"
