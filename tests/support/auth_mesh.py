"""The auth + users functions in a local mesh, driven in-process like the PWA would.

Also records the events they publish (a test function per event type), and offers the few
browser steps a login needs: start, visit the provider, come back to the callback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cloudevents.http import CloudEvent

from eventing.catalog import default_catalog
from functions.kit.declare import Delivery, Function, Trigger
from functions.kit.mesh import Mesh
from functions.kit.registry import Registry, collect
from functions.kit.settings import Settings

ORIGIN = "http://localhost:5173"
REVOKED = "kr.eco2.auth.session.revoked.v1"
SIGNED_UP = "kr.eco2.users.signed_up.v1"
MODULES = ("functions.users.functions", "functions.auth.functions")


class Seen(list[CloudEvent]):
    """Every event the recorders received."""

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [e.get_data() for e in self if e["type"] == event_type]  # type: ignore[misc]


async def record(event: CloudEvent, auth_test_seen: Seen) -> None:
    auth_test_seen.append(event)


RECORDERS = tuple(
    Function(
        name=f"test-seen-{name}",
        domain="tests",
        handler="tests.support.auth_mesh:record",
        trigger=Trigger(type=kind),
        delivery=Delivery(retries=0, timeout_s=5),
    )
    for name, kind in (("revoked", REVOKED), ("signed-up", SIGNED_UP))
)


def registry() -> Registry:
    domains = collect(MODULES, default_catalog())
    return Registry([*domains, *RECORDERS], domains.catalog, domains.providers, domains.migrations)


@dataclass
class Harness:
    mesh: Mesh
    seen: Seen
    transport: httpx.ASGITransport

    async def internal_call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call on the internal listener (the authz reading revocations, a sink)."""
        transport = httpx.ASGITransport(app=self.mesh.internal_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mesh-internal") as c:
            return await c.request(method, path, **kwargs)

    def client(self, cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
        """A fresh browser: only the cookies given (no shared jar between calls)."""
        return httpx.AsyncClient(
            transport=self.transport, base_url="http://mesh", cookies=cookies or {}
        )

    async def call(
        self,
        method: str,
        path: str,
        cookies: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        async with self.client(cookies) as client:
            return await client.request(method, path, **kwargs)

    async def start(self, provider: str, origin: str = ORIGIN, **params: str) -> dict[str, Any]:
        response = await self.call(
            "GET", f"/api/v1/auth/{provider}", params=params, headers={"X-Frontend-Origin": origin}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    async def callback(self, url: str) -> httpx.Response:
        """The browser arriving back at our callback (absolute URL → in-process request)."""
        parts = urlsplit(url)
        return await self.call("GET", f"{parts.path}?{parts.query}")

    async def dev_login(self, user: str = "dev") -> httpx.Response:
        started = await self.start("dev", dev_user=user)
        return await self.callback(started["authorization_url"])


async def visit_provider(authorization_url: str) -> str:
    """The browser at the provider's consent page; returns where the provider sends it."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(authorization_url)
    assert response.status_code in (302, 307), response.text
    return response.headers["location"]


def session_of(response: httpx.Response) -> dict[str, str]:
    """The session cookies a response set."""
    return {k: v for k, v in response.cookies.items() if k in ("s_access", "s_refresh")}


def claims(token: str) -> dict[str, Any]:
    """A token's claims, unverified (the tests check signatures separately)."""
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Harness]:
    seen = Seen()
    mesh = Mesh(settings, registry(), {"auth_test_seen": seen})
    await mesh.start()
    try:
        yield Harness(mesh, seen, httpx.ASGITransport(app=mesh.app))
    finally:
        await _drain(mesh)
        await mesh.close()


async def _drain(mesh: Mesh) -> None:
    """Let in-flight events finish before closing. On Python 3.11, `asyncio.wait_for` in the
    dispatcher swallows a cancellation that arrives as the handler completes, and the
    in-memory broker's close() then waits forever for that consumer."""
    broker = mesh.runtime.broker if mesh.runtime else None
    pending = getattr(broker, "pending", None)
    for _ in range(200):
        if pending is None or pending() == 0:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
