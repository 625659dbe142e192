"""The acceptance flow through the real edge: dev login → /users/me → refresh → logout.

The mesh runs on a real port with the Go ext-authz (built from authz/) in front, exactly as
`scripts/run` starts them; the client uses cookies only, as the PWA does.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from tests.rig import RedisNamespace

ROOT = Path(__file__).parents[2]
ORIGIN = "http://localhost:5173"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def authz_binary() -> str:
    subprocess.run(["go", "-C", str(ROOT / "authz"), "build", "-o", "bin/authz", "./cmd/authz"],
                   check=True)  # fmt: skip
    return str(ROOT / "authz" / "bin" / "authz")


@pytest.fixture
def embedded_settings() -> Settings:
    return Settings(mode="embedded")


@pytest.fixture
def real_settings(amqp_url: str, redis_url_and_prefix: RedisNamespace, pg_dsn: str) -> Settings:
    url, prefix = redis_url_and_prefix
    return Settings(mode="real", amqp_url=amqp_url, redis_url=url, redis_prefix=prefix,
                    pg_dsn=pg_dsn, auth_dev_provider=True)  # fmt: skip


@pytest.fixture(params=["embedded", pytest.param("real", marks=pytest.mark.integration)])
def base_settings(request: pytest.FixtureRequest) -> Settings:
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


@pytest.fixture
async def mesh_url(base_settings: Settings, authz_binary: str) -> AsyncIterator[str]:
    base = base_settings
    port = _port()
    settings = base.model_copy(update={
        "port": port, "authz_binary": authz_binary,
        "authz_http_port": _port(), "authz_grpc_port": _port(),
    })  # fmt: skip
    mesh = Mesh(settings, build_registry())
    server = uvicorn.Server(uvicorn.Config(mesh.app, host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(300):  # the authz loads the mesh's JWKS, then decides
            try:
                if (await http.get("/api/v1/users/me")).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    yield url
    server.should_exit = True
    await task


async def _login(http: httpx.AsyncClient) -> None:
    started = await http.get("/api/v1/auth/dev", headers={"X-Frontend-Origin": ORIGIN})
    assert started.status_code == 200
    callback = await http.get(started.json()["data"]["authorization_url"])
    assert callback.status_code == 302
    assert callback.headers["location"] == f"{ORIGIN}/#/home"
    assert {"s_access", "s_refresh"} <= set(http.cookies.keys())


async def test_login_me_refresh_logout_through_the_authz(mesh_url: str) -> None:
    async with httpx.AsyncClient(base_url=mesh_url) as http:
        assert (await http.get("/api/v1/users/me")).json()["code"] == "TOKEN_MISSING"
        await _login(http)
        me = await http.get("/api/v1/users/me", headers={"x-user-id": "spoofed"})
        assert me.status_code == 200 and me.json()["username"]  # identity came from the token
        characters = (await http.get("/api/v1/users/me/characters")).json()
        assert [c["name"] for c in characters] == ["이코"]
        old_access = http.cookies["s_access"]
        refreshed = await http.post("/api/v1/auth/refresh")
        assert refreshed.status_code == 200 and http.cookies["s_access"] != old_access
        assert (await http.get("/api/v1/users/me")).status_code == 200
        new_access = http.cookies["s_access"]
        logout = await http.post("/api/v1/auth/logout")
        assert logout.status_code == 200 and logout.json()["success"] is True
        revoked = await _until_denied(mesh_url, new_access)
        assert revoked.status_code == 401 and revoked.json()["code"] == "TOKEN_REVOKED"
        assert (await http.post("/api/v1/auth/logout")).status_code == 200  # logged out: still 200


async def _until_denied(url: str, access: str) -> httpx.Response:
    """The revocation reaches the authz asynchronously (pub/sub or the mesh's stream)."""
    async with httpx.AsyncClient(base_url=url, cookies={"s_access": access}) as http:
        for _ in range(100):
            response = await http.get("/api/v1/users/me")
            if response.status_code != 200:
                return response
            await asyncio.sleep(0.05)
    return response


async def test_preflight_and_denials_carry_credentialed_cors(mesh_url: str) -> None:
    async with httpx.AsyncClient(base_url=mesh_url) as http:
        preflight = await http.options("/api/v1/users/me", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "content-type",
        })  # fmt: skip
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert preflight.headers["access-control-allow-credentials"] == "true"
        denied = await http.get("/api/v1/users/me", headers={"Origin": ORIGIN})
        assert denied.status_code == 401
        assert denied.headers["access-control-allow-origin"] == ORIGIN
        assert denied.headers["access-control-allow-credentials"] == "true"
        foreign = await http.get("/api/v1/users/me", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in foreign.headers
