"""Graceful drain of the deployed gateway process: SIGTERM to `uvicorn --factory
functions.kit.deploy.sse_gateway:create_gateway_app` (real mode, Redis) while clients stream.

Each open stream gets the goodbye `keepalive` (last id, a `retry:` hint) and ends; the process
exits; a client that resumes with Last-Event-ID on another gateway misses nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from eventing.bus.redis_streams import RedisEventBus
from eventing.sse.config import GatewayConfig
from functions.kit.deploy.sse_gateway import create_gateway_app
from tests.load.sse.harness import base_url, read_sse, serve
from tests.rig import RedisNamespace

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(300):
            try:
                if (await http.get(f"{url}/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


async def test_sigterm_drains_every_stream_and_clients_resume_elsewhere(
    redis_url_and_prefix: RedisNamespace,
) -> None:
    url, prefix = redis_url_and_prefix
    redis = Redis.from_url(url)
    bus = RedisEventBus(redis, prefix=prefix)
    port = free_port()
    env = {**os.environ, "ECO2_MODE": "real", "ECO2_REDIS_URL": url, "ECO2_REDIS_PREFIX": prefix}
    factory = "functions.kit.deploy.sse_gateway:create_gateway_app"
    command = [sys.executable, "-m", "uvicorn", "--factory", factory,
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    gateway = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
    try:
        await bus.register_job("j", "alice", "chat")
        await bus.publish_progress("j", "queued", "completed")
        await bus.publish_token("j", "a", node="answer")
        gateway_url = f"http://127.0.0.1:{port}"
        await wait_ready(gateway_url)
        async with httpx.AsyncClient(base_url=gateway_url, timeout=20) as http:
            readers = [
                asyncio.create_task(read_sse(http, "/api/v1/chat/j/events")) for _ in range(5)
            ]
            await asyncio.sleep(0.5)
            gateway.send_signal(signal.SIGTERM)
            for frames in await asyncio.wait_for(asyncio.gather(*readers), 20):
                assert [(f.event, f.id) for f in frames[:2]] == [("queued", 1), ("token", 2)]
                assert frames[-1].event == "keepalive" and frames[-1].id == 2
                assert frames[-1].data["reason"] == "draining" and frames[-1].retry
        assert await asyncio.wait_for(gateway.wait(), 20) is not None
        await bus.publish_token("j", "b", node="answer")
        await bus.publish_progress("j", "done", "completed")
        other = create_gateway_app(bus=bus, config=GatewayConfig(keepalive_s=0.5))
        async with (
            serve(other) as server,
            httpx.AsyncClient(base_url=base_url(server), timeout=10) as http,
        ):
            rest = await read_sse(http, "/api/v1/chat/j/events", last_event_id=2)
        assert [(f.event, f.id) for f in rest] == [("token", 3), ("done", 4)]
    finally:
        if gateway.returncode is None:
            gateway.kill()
            await gateway.wait()
        await redis.aclose()
