"""The e2e rig: the mesh on a real port with the Go ext-authz (built from authz/) in front,
exactly as `scripts/run` starts them, in embedded and in real mode."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from functions.kit.bootstrap import build_registry
from functions.kit.guard import HttpProtocol
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings

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


@pytest.fixture(params=["embedded", pytest.param("real", marks=pytest.mark.integration)])
def base_settings(request: pytest.FixtureRequest) -> Settings:
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


@dataclass(frozen=True)
class RunningMesh:
    url: str
    mesh: Mesh
    internal_url: str = ""


@pytest.fixture
async def running_mesh(
    base_settings: Settings, authz_binary: str, tmp_path: Path
) -> AsyncIterator[RunningMesh]:
    port = _port()
    settings = base_settings.model_copy(update={
        "port": port, "internal_port": _port(), "authz_binary": authz_binary,
        "operator_token_file": str(tmp_path / "operator-token"),
        "authz_http_port": _port(), "authz_grpc_port": _port(),
    })  # fmt: skip
    mesh = Mesh(settings, build_registry(), listen_internal=True)
    server = uvicorn.Server(uvicorn.Config(mesh.app, host="127.0.0.1", port=port,
                                           log_level="warning", http=HttpProtocol))  # fmt: skip
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    authz = f"http://127.0.0.1:{settings.authz_http_port}"
    async with httpx.AsyncClient() as http:
        for _ in range(300):  # the authz loads the mesh's JWKS and revocations, then decides
            try:
                denied = await http.get(f"{url}/api/v1/users/me")
                if denied.status_code == 401 and (await http.get(f"{authz}/readyz")).is_success:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    yield RunningMesh(url, mesh, f"http://127.0.0.1:{settings.internal_port}")
    server.should_exit = True
    await task


@pytest.fixture
def mesh_url(running_mesh: RunningMesh) -> str:
    return running_mesh.url


async def login(http: httpx.AsyncClient, dev_user: str | None = None) -> None:
    """The dev provider's OAuth round trip, as the PWA does it: the session is two cookies."""
    params = {"dev_user": dev_user} if dev_user else {}
    started = await http.get(
        "/api/v1/auth/dev", params=params, headers={"X-Frontend-Origin": ORIGIN}
    )
    assert started.status_code == 200
    callback = await http.get(started.json()["data"]["authorization_url"])
    assert callback.status_code == 302
    assert callback.headers["location"] == f"{ORIGIN}/#/home"
    assert {"s_access", "s_refresh"} <= set(http.cookies.keys())
