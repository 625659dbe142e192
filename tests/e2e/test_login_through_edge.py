"""The acceptance flow through the real edge: dev login → /users/me → refresh → logout.

The mesh runs on a real port with the Go ext-authz (built from authz/) in front, exactly as
`scripts/run` starts them; the client uses cookies only, as the PWA does.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.conftest import ORIGIN
from tests.e2e.conftest import login as _login


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
