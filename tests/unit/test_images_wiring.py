"""Which object store the settings choose, and what the embedded one leaves behind."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from functions.images import wiring
from functions.images.blob_stores import DirectoryBlobStore
from functions.images.functions import FUNCTIONS, PROVIDERS
from functions.images.local_store import LocalObjectStore
from functions.images.s3_store import S3ObjectStore
from functions.kit.container import Container
from functions.kit.declare import Kind
from functions.kit.settings import Settings

KEY = "scan/3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f/0123456789abcdef0123456789abcdef.png"


def container(**settings: object) -> Container:
    return Container(Settings(**settings), {}, PROVIDERS)


def test_the_declarations() -> None:
    assert {(f.name, f.kind, f.route_prefix) for f in FUNCTIONS} == {
        ("images-api", Kind.HTTP, "/api/v1/images"),
        ("images-media", Kind.HTTP, "/media"),
    }
    assert {"object_store": wiring.object_store} == PROVIDERS


async def test_the_default_is_a_temporary_directory_removed_on_close() -> None:
    deps = container(public_base_url="http://pwa.example/")
    store = await deps.get("object_store")
    assert isinstance(store, LocalObjectStore) and isinstance(store.blobs, DirectoryBlobStore)
    assert store.public_url(KEY) == f"http://pwa.example/media/{KEY}"
    await store.blobs.put(KEY, b"x", "image/png")
    root = store.blobs.root
    assert root.is_dir()
    await deps.close()
    assert not root.exists()


async def test_a_media_dir_is_kept_and_a_set_key_signs_alike_everywhere(tmp_path: Path) -> None:
    media = tmp_path / "media"
    settings = {"media_dir": str(media), "images_signing_key": "shared-secret-of-32-bytes-or-so"}
    api, server = container(**settings), container(**settings)
    signer, verifier = await api.get("object_store"), await server.get("object_store")
    url = (await signer.presign_upload(KEY, "image/png", 10, 60)).url
    verifier.authorize(KEY, dict(parse_qsl(urlsplit(url).query)))  # another process agrees
    await api.close()
    await server.close()
    assert media.is_dir()


async def test_without_a_key_each_process_signs_with_its_own() -> None:
    one, two = container(), container()
    signer, stranger = await one.get("object_store"), await two.get("object_store")
    url = (await signer.presign_upload(KEY, "image/png", 10, 60)).url
    query = dict(parse_qsl(urlsplit(url).query))
    signer.authorize(KEY, query)
    with pytest.raises(Exception, match="signature"):
        stranger.authorize(KEY, query)
    await one.close()
    await two.close()


async def test_a_bucket_chooses_s3_and_the_cdn_serves_it() -> None:
    deps = container(
        s3_bucket="eco2-images",
        cdn_base_url="https://img.eco2.example/",
        s3_access_key_id="AKIDEXAMPLE",
        s3_secret_access_key="secret",
    )
    store = await deps.get("object_store")
    assert isinstance(store, S3ObjectStore)
    assert store.public_url(KEY) == f"https://img.eco2.example/{KEY}"
    upload = await store.presign_upload(KEY, "image/png", 10, 60)  # local work, no network
    assert upload.url.startswith(f"https://eco2-images.s3.ap-northeast-2.amazonaws.com/{KEY}?")
    await deps.close()


async def test_s3_without_a_cdn_serves_from_the_bucket_and_needs_a_bucket() -> None:
    deps = container(
        images_backend="s3", s3_bucket="eco2-images", s3_access_key_id="a", s3_secret_access_key="b"
    )
    store = await deps.get("object_store")
    assert store.public_url(KEY) == f"https://eco2-images.s3.ap-northeast-2.amazonaws.com/{KEY}"
    await deps.close()
    with pytest.raises(ValueError, match="ECO2_S3_BUCKET"):
        await container(images_backend="s3").get("object_store")
    local = container(images_backend="local", s3_bucket="eco2-images")
    assert isinstance(await local.get("object_store"), LocalObjectStore)
    await local.close()
