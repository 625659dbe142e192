"""The edge's `AuthzCheck` port over both adapters, against the real Go ext-authz: gRPC (Envoy's
ext_authz Check, the default) and the authz's HTTP mode answer every case the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from functions.kit.authz_check import AuthzCheck, GrpcAuthzCheck, HttpAuthzCheck, Verdict
from functions.kit.settings import Settings
from tests.e2e.conftest import ORIGIN, RunningMesh, login

IDENTITY = ("x-user-id", "x-auth-provider", "x-operator")


@pytest.fixture
def base_settings(embedded_settings: Settings) -> Settings:
    return embedded_settings  # the decision is the authz's; one mode is enough here


@pytest.fixture(params=["grpc", "http"])
async def check(
    request: pytest.FixtureRequest, running_mesh: RunningMesh
) -> AsyncIterator[AuthzCheck]:
    settings = running_mesh.mesh.settings
    adapter: AuthzCheck = (
        GrpcAuthzCheck(f"127.0.0.1:{settings.authz_grpc_port}")
        if request.param == "grpc"
        else HttpAuthzCheck(f"http://127.0.0.1:{settings.authz_http_port}")
    )
    yield adapter
    await adapter.aclose()


async def session_cookie(mesh_url: str) -> str:
    async with httpx.AsyncClient(base_url=mesh_url) as http:
        await login(http)
        return f"theme=light; s_access={http.cookies['s_access']}"


def identity(verdict: Verdict) -> dict[str, str]:
    return {k.lower(): v for k, v in verdict.headers if k.lower() in IDENTITY}


async def test_a_session_is_allowed_with_its_identity(check: AuthzCheck, mesh_url: str) -> None:
    cookie = await session_cookie(mesh_url)
    headers = [(b"cookie", cookie.encode()), (b"x-user-id", b"spoofed")]
    verdict = await check.check("GET", "/api/v1/users/me", headers)
    assert verdict is not None and verdict.status == 200
    found = identity(verdict)
    assert found["x-user-id"] not in ("", "spoofed") and "x-operator" not in found


async def test_no_session_is_the_contracts_401_with_cors(check: AuthzCheck) -> None:
    headers = [(b"origin", ORIGIN.encode())]
    verdict = await check.check("GET", "/api/v1/users/me?x=1", headers)
    assert verdict is not None and verdict.status == 401
    assert b'"code"' in verdict.body
    sent = {k.lower(): v for k, v in verdict.headers}
    assert sent["access-control-allow-origin"] == ORIGIN
    assert sent["content-type"].startswith("application/json")


async def test_a_public_path_passes_without_identity(check: AuthzCheck) -> None:
    verdict = await check.check("GET", "/api/v1/auth/dev", [(b"x-user-id", b"spoofed")])
    assert verdict is not None and verdict.status == 200 and identity(verdict) == {}


async def test_an_operator_path_is_hidden_from_a_user(check: AuthzCheck, mesh_url: str) -> None:
    cookie = await session_cookie(mesh_url)
    verdict = await check.check("GET", "/admin/dead-letters", [(b"cookie", cookie.encode())])
    assert verdict is not None and verdict.status == 404


async def test_an_unreachable_authz_is_none() -> None:
    for adapter in (
        GrpcAuthzCheck("127.0.0.1:9", timeout_s=0.5),
        HttpAuthzCheck("http://127.0.0.1:9"),
    ):
        assert await adapter.check("GET", "/api/v1/users/me", []) is None
        await adapter.aclose()
