"""The images HTTP surface as the PWA uses it: POST for a URL, PUT the bytes, GET the cdn_url.

The app is built from the two routers over the in-memory embedded store with a fake clock,
exactly as the mesh mounts them (error handling included).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from functions.images import api, media
from functions.images.blob_stores import MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.images.model import EXTENSIONS, ImageTooLarge
from functions.images.services import resolve_image
from functions.kit import http
from functions.kit.settings import Settings

ALICE = "3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f"
BOB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
BASE = "http://mesh.test"
MAX = 2048
TTL = 120
PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)
SAMPLES = {
    "image/png": PNG,
    "image/jpeg": b"\xff\xd8\xff\xdb" + bytes(100),
    "image/webp": b"RIFF\x64\x00\x00\x00WEBPVP8 " + bytes(90),
    "image/heic": b"\x00\x00\x00\x18ftypheic" + bytes(100),
    "image/heif": b"\x00\x00\x00\x18ftypmif1" + bytes(100),
}


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    client: httpx.AsyncClient
    store: LocalObjectStore
    blobs: MemoryBlobStore
    clock: Clock


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    blobs, clock = MemoryBlobStore(), Clock()
    store = LocalObjectStore(blobs, BASE, b"integration-signing-key!", clock)
    settings = Settings(images_max_bytes=MAX, images_url_ttl_s=TTL)
    app = FastAPI()
    http.install(app)
    app.include_router(api.router(store, settings), prefix="/api/v1/images")
    app.include_router(media.router(store), prefix="/media")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield Rig(client, store, blobs, clock)


def as_user(user_id: str) -> dict[str, str]:
    return {"x-user-id": user_id}  # what the edge injects after verifying the token


async def ask(
    rig: Rig, content_type: str, channel: str = "scan", user: str = ALICE
) -> dict[str, Any]:
    response = await rig.client.post(
        f"/api/v1/images/{channel}",
        json={"filename": "photo.jpg", "content_type": content_type},
        headers=as_user(user),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def put(rig: Rig, ticket: dict[str, Any], data: bytes, **headers: str) -> httpx.Response:
    """The browser's PUT: the signed URL, its required headers, and no cookies."""
    sent = {**ticket["required_headers"], **headers}
    return await rig.client.put(ticket["upload_url"], content=data, headers=sent)


@pytest.mark.parametrize("channel", ["scan", "chat", "my"])
@pytest.mark.parametrize("content_type", sorted(EXTENSIONS))
async def test_every_accepted_type_gets_the_contract_answer(
    rig: Rig, channel: str, content_type: str
) -> None:
    ticket = await ask(rig, content_type, channel)
    assert set(ticket) == {"key", "upload_url", "cdn_url", "expires_in", "required_headers"}
    key = ticket["key"]
    ext = EXTENSIONS[content_type]
    assert re.fullmatch(rf"{channel}/{ALICE}/[0-9a-f]{{32}}\.{ext}", key)
    assert ticket["upload_url"].startswith(f"{BASE}/media/upload/{key}?")
    assert ticket["cdn_url"] == f"{BASE}/media/{key}"
    assert ticket["expires_in"] == TTL
    assert ticket["required_headers"] == {"Content-Type": content_type}
    assert (await put(rig, ticket, SAMPLES[content_type])).status_code == 204
    image = await rig.client.get(ticket["cdn_url"])
    assert image.status_code == 200
    assert image.content == SAMPLES[content_type]
    assert image.headers["content-type"] == content_type
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["cache-control"].startswith("public, max-age=")
    head = await rig.client.head(ticket["cdn_url"])
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(SAMPLES[content_type]))
    stored = await resolve_image(rig.store, ticket["cdn_url"], ALICE, MAX)
    assert (stored.key, stored.size, stored.content_type) == (
        key,
        len(SAMPLES[content_type]),
        content_type,
    )


@pytest.mark.parametrize(
    "content_type", ["image/gif", "image/svg+xml", "text/html", "application/pdf", "", "image/jpg"]
)
async def test_other_types_are_refused_with_the_error_body(rig: Rig, content_type: str) -> None:
    response = await rig.client.post(
        "/api/v1/images/scan",
        json={"filename": "x.png", "content_type": content_type},
        headers=as_user(ALICE),
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == "UNSUPPORTED_IMAGE_TYPE"


async def test_unknown_channel_missing_identity_and_bad_bodies(rig: Rig) -> None:
    good = {"filename": "a.png", "content_type": "image/png"}
    response = await rig.client.post("/api/v1/images/avatar", json=good, headers=as_user(ALICE))
    assert response.status_code == 404 and response.json()["code"] == "UNKNOWN_CHANNEL"
    response = await rig.client.post("/api/v1/images/scan", json=good)
    assert response.status_code == 401
    assert response.json() == {"detail": "authentication required", "code": "UNAUTHENTICATED"}
    response = await rig.client.post(
        "/api/v1/images/scan", json={"filename": "a.png"}, headers=as_user(ALICE)
    )
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"
    ticket = await ask(rig, "IMAGE/PNG")  # media types are case-insensitive
    assert ticket["required_headers"] == {"Content-Type": "image/png"}
    response = await rig.client.post(
        "/api/v1/images/my", json={"content_type": "image/png"}, headers=as_user(ALICE)
    )
    assert response.status_code == 200  # the filename is optional and never used


async def test_an_oversize_upload_is_413_and_stores_nothing(rig: Rig) -> None:
    ticket = await ask(rig, "image/png")
    response = await put(rig, ticket, PNG + bytes(MAX))
    assert response.status_code == 413
    assert response.json()["code"] == "IMAGE_TOO_LARGE"
    assert len(rig.blobs) == 0
    assert (await rig.client.get(ticket["cdn_url"])).status_code == 404


async def test_bytes_that_are_not_the_declared_image_are_refused(rig: Rig) -> None:
    ticket = await ask(rig, "image/png")
    for data in (b"<html><script>alert(1)</script></html>", SAMPLES["image/jpeg"], b""):
        response = await put(rig, ticket, data)
        assert response.status_code == 415, data
        assert response.json()["code"] == "IMAGE_CONTENT_MISMATCH"
    response = await put(rig, ticket, PNG, **{"Content-Type": "text/html"})
    assert response.status_code == 400 and response.json()["code"] == "CONTENT_TYPE_MISMATCH"
    assert len(rig.blobs) == 0


async def test_a_bad_signature_or_an_expired_url_is_refused_without_401_or_403(rig: Rig) -> None:
    ticket = await ask(rig, "image/png")
    forged = ticket["upload_url"].replace("max=2048", "max=999999")
    response = await put(rig, {**ticket, "upload_url": forged}, PNG)
    assert response.status_code == 400 and response.json()["code"] == "BAD_SIGNATURE"
    mine = await ask(rig, "image/png")
    other = ticket["upload_url"].replace(ticket["key"], mine["key"])  # a URL for another key
    response = await put(rig, {**ticket, "upload_url": other}, PNG)
    assert response.status_code == 400 and response.json()["code"] == "BAD_SIGNATURE"
    rig.clock.now += TTL + 1
    response = await put(rig, ticket, PNG)
    assert response.status_code == 400 and response.json()["code"] == "UPLOAD_URL_EXPIRED"
    assert len(rig.blobs) == 0


async def test_an_image_is_only_usable_by_its_owner(rig: Rig) -> None:
    ticket = await ask(rig, "image/png", user=BOB)
    assert (await put(rig, ticket, PNG)).status_code == 204
    with pytest.raises(Exception, match="no such image") as caught:
        await resolve_image(rig.store, ticket["cdn_url"], ALICE, MAX)
    assert getattr(caught.value, "code", None) == "IMAGE_NOT_FOUND"
    await resolve_image(rig.store, ticket["cdn_url"], BOB, MAX)
    with pytest.raises(ImageTooLarge):  # a tighter limit at use time deletes it
        await resolve_image(rig.store, ticket["cdn_url"], BOB, len(PNG) - 1)
    assert (await rig.client.get(ticket["cdn_url"])).status_code == 404


async def test_media_paths_outside_the_key_grammar_are_404(rig: Rig) -> None:
    for path in (
        "/media/",
        "/media/%2e%2e/api/v1/images/scan",
        "/media/scan/x/y.png",
        "/media/upload/x",
    ):
        response = await rig.client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] in ("IMAGE_NOT_FOUND", "NOT_FOUND"), path
