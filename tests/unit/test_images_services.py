"""The images use cases against the in-memory embedded store: create_upload and resolve_image."""

from __future__ import annotations

import re

import pytest

from functions.images.blob_stores import MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.images.model import (
    ForeignImageUrl,
    ImageNotFound,
    ImageTooLarge,
    InvalidUploadRequest,
    UnknownChannel,
    UnsupportedImageType,
    UploadLimits,
)
from functions.images.ports import StoredObject
from functions.images.services import create_upload, resolve_image

ALICE = "3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f"
BOB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
BASE = "http://mesh.test"
LIMITS = UploadLimits(max_bytes=100, expires_in=300)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


@pytest.fixture
def blobs() -> MemoryBlobStore:
    return MemoryBlobStore()


@pytest.fixture
def store(blobs: MemoryBlobStore) -> LocalObjectStore:
    return LocalObjectStore(blobs, BASE, b"k" * 32, lambda: 1_800_000_000.0)


async def test_create_upload_answers_the_contract(store: LocalObjectStore) -> None:
    answer = await create_upload(store, ALICE, "scan", "IMG_0001.HEIC", "image/heic", limits=LIMITS)
    assert set(answer) == {"key", "upload_url", "cdn_url", "expires_in", "required_headers"}
    key = answer["key"]
    assert re.fullmatch(rf"scan/{ALICE}/[0-9a-f]{{32}}\.heic", key)
    assert answer["cdn_url"] == f"{BASE}/media/{key}"
    assert answer["upload_url"].startswith(f"{BASE}/media/upload/{key}?")
    assert "max=100" in answer["upload_url"]
    assert answer["expires_in"] == 300
    assert answer["required_headers"] == {"Content-Type": "image/heic"}
    again = await create_upload(store, ALICE, "scan", "IMG_0001.HEIC", "image/heic", limits=LIMITS)
    assert again["key"] != key  # a fresh key every time


async def test_create_upload_ignores_the_filename_and_checks_the_rest(
    store: LocalObjectStore,
) -> None:
    answer = await create_upload(
        store, ALICE, "my", "../../etc/passwd.exe", "image/png", limits=LIMITS
    )
    assert answer["key"].startswith(f"my/{ALICE}/") and answer["key"].endswith(".png")
    assert (await create_upload(store, ALICE, "chat", None, "image/jpeg", limits=LIMITS))[
        "key"
    ].endswith(".jpg")
    with pytest.raises(UnsupportedImageType):
        await create_upload(store, ALICE, "scan", "a.gif", "image/gif", limits=LIMITS)
    with pytest.raises(UnknownChannel):
        await create_upload(store, ALICE, "profile", "a.png", "image/png", limits=LIMITS)
    with pytest.raises(InvalidUploadRequest):
        await create_upload(store, "../alice", "scan", "a.png", "image/png", limits=LIMITS)


async def uploaded(store: LocalObjectStore, blobs: MemoryBlobStore, owner: str, data: bytes) -> str:
    """An object as the bucket would hold it (written directly: S3 caps nothing)."""
    answer = await create_upload(store, owner, "scan", None, "image/png", limits=LIMITS)
    await blobs.put(answer["key"], data, "image/png")
    return answer["cdn_url"]


async def test_resolve_image_returns_the_callers_uploaded_image(
    store: LocalObjectStore, blobs: MemoryBlobStore
) -> None:
    url = await uploaded(store, blobs, ALICE, PNG)
    key = store.key_for_url(url)
    assert key is not None
    assert await resolve_image(store, url, ALICE, 100) == StoredObject(key, len(PNG), "image/png")


async def test_resolve_image_refuses_urls_that_are_not_ours(store: LocalObjectStore) -> None:
    for url in ("https://example.com/cat.png", f"{BASE}/api/v1/images/scan", "file:///etc/passwd"):
        with pytest.raises(ForeignImageUrl) as caught:
            await resolve_image(store, url, ALICE, 100)
        assert (caught.value.code, caught.value.status) == ("FOREIGN_IMAGE_URL", 400)


async def test_another_users_image_is_not_found_like_a_missing_one(
    store: LocalObjectStore, blobs: MemoryBlobStore
) -> None:
    bobs = await uploaded(store, blobs, BOB, PNG)
    with pytest.raises(ImageNotFound) as theirs:
        await resolve_image(store, bobs, ALICE, 100)
    never = (await create_upload(store, ALICE, "scan", None, "image/png", limits=LIMITS))["cdn_url"]
    with pytest.raises(ImageNotFound) as missing:
        await resolve_image(store, never, ALICE, 100)
    assert theirs.value.detail == missing.value.detail  # nothing tells the two apart
    assert (missing.value.code, missing.value.status) == ("IMAGE_NOT_FOUND", 404)
    assert await store.head(store.key_for_url(bobs) or "") is not None  # Bob's is untouched


async def test_an_oversize_image_is_refused_and_deleted(
    store: LocalObjectStore, blobs: MemoryBlobStore
) -> None:
    url = await uploaded(store, blobs, ALICE, PNG + bytes(100))
    with pytest.raises(ImageTooLarge) as caught:
        await resolve_image(store, url, ALICE, 100)
    assert (caught.value.code, caught.value.status) == ("IMAGE_TOO_LARGE", 413)
    assert len(blobs) == 0
    with pytest.raises(ImageNotFound):  # and stays refused
        await resolve_image(store, url, ALICE, 100)


async def test_an_empty_or_non_image_object_is_unsupported(
    store: LocalObjectStore, blobs: MemoryBlobStore
) -> None:
    empty = await uploaded(store, blobs, ALICE, b"")
    with pytest.raises(UnsupportedImageType):
        await resolve_image(store, empty, ALICE, 100)
    answer = await create_upload(store, ALICE, "scan", None, "image/png", limits=LIMITS)
    await blobs.put(answer["key"], PNG, "text/html")  # only a direct bucket write could do this
    with pytest.raises(UnsupportedImageType):
        await resolve_image(store, answer["cdn_url"], ALICE, 100)
