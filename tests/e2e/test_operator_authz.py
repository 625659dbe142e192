"""Operator tokens minted by the auth package, decided by the real Go ext-authz (HTTP mode):
the `roles` claim as Python writes it is the one Go reads, and x-operator cannot be forged."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from functions.auth import keys
from functions.auth.keys import KeyRing
from functions.auth.operator import mint_operator
from functions.auth.tokens import TokenService
from tests.rig import RedisNamespace
from tests.support.loopback import serve

JWKS_PATH = "/api/v1/auth/.well-known/jwks.json"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(KeyRing(keys.generate()), "eco2-auth", "eco2-api", 900, 900)


@pytest.fixture
async def authz(
    authz_binary: str, tokens: TokenService, redis_url_and_prefix: RedisNamespace
) -> AsyncIterator[str]:
    """The authz binary trusting `tokens`' key, revocations from this test's Redis prefix."""
    jwks = FastAPI()

    @jwks.get(JWKS_PATH)
    async def published() -> dict[str, Any]:
        return tokens.keys.jwks()

    async with serve(jwks) as jwks_url:
        port = _port()
        proc = await asyncio.create_subprocess_exec(
            authz_binary, "-http-addr", f"127.0.0.1:{port}", "-grpc-addr", "", "-metrics-addr", "",
            "-jwks-url", jwks_url + JWKS_PATH, "-redis-url", redis_url_and_prefix.url,
            "-redis-prefix", redis_url_and_prefix.prefix, "-log-level", "warn",
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as http:
                for _ in range(200):  # the child process loads the JWKS and the revocations
                    try:
                        if (await http.get(f"{base}/readyz")).is_success:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
            yield base
        finally:
            proc.terminate()
            await proc.wait()


async def _check(
    base: str, path: str, token: str | None, spoof: str | None = None
) -> httpx.Response:
    """A check as the edge sends it, with a client-supplied x-operator when `spoof` is set."""
    headers = {"x-operator": spoof} if spoof else {}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient() as http:
        return await http.post(f"{base}/check{path}", headers=headers)


@pytest.mark.integration
async def test_operator_token_passes_with_x_operator(authz: str, tokens: TokenService) -> None:
    token = mint_operator(tokens, "alice", 300)
    allowed = await _check(authz, "/admin/dead-letters/replay", token, spoof="operator:eve")
    assert allowed.status_code == 200
    assert allowed.headers["x-operator"] == "operator:alice"
    assert allowed.headers["x-user-id"] == "operator:alice"
    assert allowed.headers["x-auth-provider"] == "operator"


@pytest.mark.integration
async def test_user_token_on_an_operator_path_is_404(authz: str, tokens: TokenService) -> None:
    access, _ = tokens.claims("user-1", "sid-1", "kakao", tokens.successor())
    user = tokens.mint(access)
    denied = await _check(authz, "/admin/canary", user, spoof="operator:alice")
    assert denied.status_code == 404
    assert denied.json() == {"detail": "Not Found", "code": "NOT_FOUND"}
    missing = await _check(authz, "/admin/canary", None)
    assert missing.status_code == 401 and missing.json()["code"] == "TOKEN_MISSING"
    # On a user path the same token passes, and a client's x-operator is dropped upstream.
    allowed = await _check(authz, "/api/v1/users/me", user, spoof="operator:alice")
    assert allowed.status_code == 200 and "x-operator" not in allowed.headers
    removed = allowed.headers["x-envoy-auth-headers-to-remove"].split(",")
    assert "x-operator" in removed


@pytest.mark.integration
async def test_an_operator_token_is_not_a_user_session(authz: str, tokens: TokenService) -> None:
    """Its subject (`operator:alice`) is no user: on a user path it would reach domains that
    key rows by user id. It opens the operator paths only."""
    token = mint_operator(tokens, "alice", 300)
    for path in ("/api/v1/users/me", "/api/v1/scan", "/api/v1/chat"):
        denied = await _check(authz, path, token)
        assert denied.status_code == 401, path
        assert denied.json()["code"] == "NOT_A_USER"
