"""The images domain inside the mesh: declarations, provider and CORS, as `eco2 run` serves them.

The registry here names the images module itself; the last test goes through the kit's own
DOMAIN_MODULES and the deployed-function host, so it runs once the domain is registered there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from functions.images.local_store import LocalObjectStore
from functions.kit.bootstrap import DOMAIN_MODULES, build_registry
from functions.kit.http_hosting import create_http_app
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings

MODULES = ("functions.kit.functions", "functions.images.functions")
BASE = "http://mesh.test"
ORIGIN = "http://localhost:5173"
ALICE = "3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


@pytest.fixture
async def mesh() -> AsyncIterator[Mesh]:
    mesh = Mesh(Settings(mode="embedded", public_base_url=BASE), build_registry(modules=MODULES))
    await mesh.start()
    yield mesh
    await mesh.close()


@pytest.fixture
async def client(mesh: Mesh) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mesh.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


async def test_upload_then_read_through_the_mesh_and_its_temp_dir_goes_on_close(
    mesh: Mesh, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/api/v1/images/scan",
        json={"filename": "a.png", "content_type": "image/png"},
        headers={"x-user-id": ALICE, "Origin": ORIGIN},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    ticket = response.json()
    assert ticket["cdn_url"].startswith(f"{BASE}/media/scan/{ALICE}/")
    put = await client.put(
        ticket["upload_url"],
        content=PNG,
        headers={**ticket["required_headers"], "Origin": ORIGIN},  # and no cookies
    )
    assert put.status_code == 204
    assert put.headers["access-control-allow-origin"] == ORIGIN  # the PWA can read the result
    image = await client.get(ticket["cdn_url"])
    assert (image.status_code, image.content) == (200, PNG)
    assert mesh.runtime is not None
    store = await mesh.runtime.container.get("object_store")
    assert isinstance(store, LocalObjectStore)
    root: Path = store.blobs.root  # type: ignore[attr-defined]
    assert await asyncio.to_thread(root.is_dir)
    await mesh.close()
    assert not await asyncio.to_thread(root.exists)


async def test_the_pwa_may_preflight_a_put_to_an_upload_url(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/media/upload/scan/x/y.png?expires=1&ct=image%2Fpng&max=1&sig=0",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()
    stranger = await client.options(
        "/media/upload/scan/x/y.png",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
    )
    assert "access-control-allow-origin" not in stranger.headers


async def test_no_identity_is_401_through_the_mesh(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/images/chat", json={"filename": "a.png", "content_type": "image/png"}
    )
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"


@pytest.mark.skipif(
    "functions.images.functions" not in DOMAIN_MODULES,
    reason="needs functions.images.functions in functions/kit/bootstrap.py DOMAIN_MODULES",
)
async def test_the_deployed_api_and_media_functions_share_a_key_and_a_directory(
    tmp_path: Path,
) -> None:
    shared = {
        "mode": "embedded",
        "public_base_url": BASE,
        "media_dir": str(tmp_path),
        "images_signing_key": "one-key-for-every-replica-0123",
    }
    api = create_http_app(Settings(function="images-api", **shared))  # type: ignore[arg-type]
    media = create_http_app(Settings(function="images-media", **shared))  # type: ignore[arg-type]
    api_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=BASE)
    media_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=media), base_url=BASE)
    async with (
        api.router.lifespan_context(api),
        media.router.lifespan_context(media),
        api_http,
        media_http,
    ):
        ticket = (
            await api_http.post(
                "/api/v1/images/my",
                json={"content_type": "image/png"},
                headers={"x-user-id": ALICE},
            )
        ).json()
        put = await media_http.put(
            ticket["upload_url"], content=PNG, headers=ticket["required_headers"]
        )
        assert put.status_code == 204
        assert (await media_http.get(ticket["cdn_url"])).content == PNG
