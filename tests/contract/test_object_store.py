"""One contract for every ObjectStore: presign, PUT over HTTP, read back, public GET, URL parsing.

Parametrized over the embedded store with memory blobs (served in-process through
`httpx.ASGITransport`), the embedded store with directory blobs (served by a real uvicorn on a
loopback port) and S3 (moto in server mode: a real S3-protocol HTTP server on loopback).

What moto does not enforce is asserted as what it is: moto checks neither presigned URL
signatures, nor their expiry, nor the signed Content-Type, so for S3 those cases check the
URL carries what real S3 enforces (X-Amz-Expires, SignedHeaders with content-type) instead.
S3 cannot cap an upload's size nor look at its bytes at all; that is asserted too (the
cap is `resolve_image`'s job, see tests/integration/test_images_api.py and ADR 0009).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from fastapi import FastAPI

from functions.images import media
from functions.images.blob_stores import DirectoryBlobStore, MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.images.model import ImageNotFound
from functions.images.ports import ObjectStore, StoredObject
from functions.kit import http
from functions.kit.settings import Settings
from tests.support.loopback import serve

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + bytes(64)
MAX = 1024
TTL = 60
KEY_OWNER = "3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f"
ORIGIN = "http://localhost:5173"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    name: str
    store: ObjectStore
    http: httpx.AsyncClient  # reaches upload URLs and public URLs
    clock: FakeClock | None  # None: the backend's own clock (S3)
    client: Any = None  # the boto3 client (S3 only)
    bucket: str = ""

    @property
    def is_s3(self) -> bool:
        return self.name == "s3"


def new_key(ext: str = "png", owner: str = KEY_OWNER) -> str:
    return f"scan/{owner}/{uuid.uuid4().hex}.{ext}"


def media_app(store: LocalObjectStore) -> FastAPI:
    app = FastAPI()
    http.install(app)
    app.include_router(media.router(store), prefix="/media")
    return app


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


async def s3_rig(endpoint: str) -> AsyncIterator[Rig]:
    from functions.images.s3_store import (  # noqa: PLC0415
        S3ObjectStore,
        ensure_bucket_cors,
        make_client,
        public_read_policy,
    )

    bucket = f"eco2-test-{uuid.uuid4().hex[:12]}"
    settings = Settings(
        s3_bucket=bucket,
        s3_endpoint_url=endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    client = await asyncio.to_thread(make_client, settings)
    location: Any = {"LocationConstraint": settings.s3_region}
    await asyncio.to_thread(client.create_bucket, Bucket=bucket, CreateBucketConfiguration=location)
    # No CDN in front: the bucket itself must let browsers GET the images.
    await asyncio.to_thread(
        client.put_bucket_policy, Bucket=bucket, Policy=public_read_policy(bucket)
    )
    await ensure_bucket_cors(client, bucket, [ORIGIN])
    store = S3ObjectStore(client, bucket, None, settings.s3_region)
    async with httpx.AsyncClient() as web:
        yield Rig("s3", store, web, None, client, bucket)
    client.close()


@pytest.fixture(params=["memory", "directory", "s3"])
async def rig(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Rig]:
    clock = FakeClock()
    key = b"contract-test-signing-key-32byte"
    if request.param == "memory":
        store = LocalObjectStore(MemoryBlobStore(), "http://media.test", key, clock)
        transport = httpx.ASGITransport(app=media_app(store))
        async with httpx.AsyncClient(transport=transport) as web:
            yield Rig("memory", store, web, clock)
    elif request.param == "directory":
        # Two stores sharing a key and a directory, as when the API and /media are separate
        # processes: the one behind uvicorn verifies what the test's one signed.
        blobs = DirectoryBlobStore(tmp_path / "media")
        server_side = LocalObjectStore(blobs, "http://unused.invalid", key, clock)
        async with serve(media_app(server_side)) as base, httpx.AsyncClient() as web:
            yield Rig("directory", LocalObjectStore(blobs, base, key, clock), web, clock)
    else:
        async for s3 in s3_rig(request.getfixturevalue("moto_endpoint")):
            yield s3


async def upload(rig: Rig, key: str, data: bytes, content_type: str) -> httpx.Response:
    presigned = await rig.store.presign_upload(key, content_type, MAX, TTL)
    return await rig.http.put(presigned.url, content=data, headers=presigned.headers)


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


async def test_a_presigned_put_is_readable_by_head_get_and_the_public_url(rig: Rig) -> None:
    key = new_key()
    presigned = await rig.store.presign_upload(key, "image/png", MAX, TTL)
    assert presigned.headers == {"Content-Type": "image/png"}
    assert presigned.expires_in == TTL
    assert "cookie" not in {h.lower() for h in presigned.headers}
    response = await rig.http.put(presigned.url, content=PNG, headers=presigned.headers)
    assert response.is_success, response.text
    assert await rig.store.head(key) == StoredObject(key, len(PNG), "image/png")
    assert await rig.store.get(key) == (PNG, "image/png")
    public = await rig.http.get(rig.store.public_url(key), headers={"Origin": ORIGIN})
    assert public.status_code == 200
    assert public.content == PNG
    assert public.headers["content-type"] == "image/png"


async def test_bytes_the_mesh_made_are_put_and_served_like_an_upload(rig: Rig) -> None:
    key = new_key()  # e.g. a picture the chat's image model drew
    assert await rig.store.put(key, PNG, "image/png") == StoredObject(key, len(PNG), "image/png")
    assert await rig.store.head(key) == StoredObject(key, len(PNG), "image/png")
    assert await rig.store.get(key) == (PNG, "image/png")
    public = await rig.http.get(rig.store.public_url(key))
    assert public.status_code == 200 and public.content == PNG


async def test_missing_objects_are_none_not_found_and_deletable(rig: Rig) -> None:
    key = new_key()
    assert await rig.store.head(key) is None
    with pytest.raises(ImageNotFound):
        await rig.store.get(key)
    await rig.store.delete(key)  # idempotent


async def test_a_deleted_object_is_gone_everywhere(rig: Rig) -> None:
    key = new_key("jpg")
    assert (await upload(rig, key, JPEG, "image/jpeg")).is_success
    await rig.store.delete(key)
    assert await rig.store.head(key) is None
    with pytest.raises(ImageNotFound):
        await rig.store.get(key)
    assert (await rig.http.get(rig.store.public_url(key))).status_code in (403, 404)


async def test_key_for_url_round_trips_and_rejects_anything_else(rig: Rig) -> None:
    key = new_key()
    url = rig.store.public_url(key)
    assert rig.store.key_for_url(url) == key
    parts = urlsplit(url)
    base = url[: -len(key)]
    owner_dir = key.rsplit("/", 1)[0]
    tricky = [
        "https://evil.example/" + key,
        urlunsplit(parts._replace(netloc="evil.example")),
        urlunsplit(parts._replace(scheme="ftp")),
        url + "?x=1",
        url + "#frag",
        url + "/",
        url.upper(),
        base + key.replace("/", "%2F"),
        base + f"{owner_dir}/../{key.rsplit('/', 1)[1]}",
        base + f"scan/{KEY_OWNER}/../../{key}",
        base + "/" + key,
        base + key + "%00",
        base.rstrip("/") + "x/" + key,
        base + key.replace(".png", ".svg"),
        (await rig.store.presign_upload(key, "image/png", MAX, TTL)).url,
        "",
        "not a url",
    ]
    for candidate in tricky:
        assert rig.store.key_for_url(candidate) is None, candidate


async def test_an_expired_upload_url_is_refused(rig: Rig) -> None:
    key = new_key()
    presigned = await rig.store.presign_upload(key, "image/png", MAX, TTL)
    if rig.clock is None:  # moto does not check X-Amz-Expires; real S3 answers 403
        query = parse_qs(urlsplit(presigned.url).query)
        assert query["X-Amz-Expires"] == [str(TTL)]
        pytest.skip("moto does not enforce presigned URL expiry (asserted it is signed)")
    rig.clock.now += TTL + 1
    response = await rig.http.put(presigned.url, content=PNG, headers=presigned.headers)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "the upload URL has expired; ask for a new one",
        "code": "UPLOAD_URL_EXPIRED",
    }
    assert await rig.store.head(key) is None


async def test_a_content_type_other_than_the_signed_one_is_refused(rig: Rig) -> None:
    key = new_key()
    presigned = await rig.store.presign_upload(key, "image/png", MAX, TTL)
    if rig.is_s3:  # real S3: SignatureDoesNotMatch (403) because content-type is signed
        query = parse_qs(urlsplit(presigned.url).query)
        assert "content-type" in query["X-Amz-SignedHeaders"][0].split(";")
        pytest.skip("moto does not verify presigned signatures (asserted content-type is signed)")
    response = await rig.http.put(
        presigned.url, content=JPEG, headers={"Content-Type": "image/jpeg"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "CONTENT_TYPE_MISMATCH"
    assert await rig.store.head(key) is None


async def test_a_tampered_upload_url_is_refused(rig: Rig) -> None:
    if rig.is_s3:
        pytest.skip("moto does not verify presigned signatures")
    key = new_key()
    presigned = await rig.store.presign_upload(key, "image/png", MAX, TTL)
    assert rig.clock is not None
    sig = parse_qs(urlsplit(presigned.url).query)["sig"][0]
    forged = [
        with_query(presigned.url, max=str(MAX * 100)),
        with_query(presigned.url, expires=str(int(rig.clock.now) + 10 * TTL)),
        with_query(presigned.url, ct="image/jpeg"),
        with_query(presigned.url, sig=("0" if sig[0] != "0" else "1") + sig[1:]),
        presigned.url.replace(key, new_key()),
        presigned.url.split("?")[0],
    ]
    for url in forged:
        ct = "image/jpeg" if "ct=image%2Fjpeg" in url else "image/png"
        response = await rig.http.put(url, content=PNG, headers={"Content-Type": ct})
        assert response.status_code == 400, url
        assert response.json()["code"] == "BAD_SIGNATURE", url
    assert await rig.store.head(key) is None


async def test_the_size_cap_is_enforced_at_upload_except_by_s3(rig: Rig) -> None:
    key = new_key()
    big = PNG + bytes(MAX)
    response = await upload(rig, key, big, "image/png")
    if rig.is_s3:  # a presigned PUT cannot cap the size: resolve_image deletes it later
        assert response.is_success
        stored = await rig.store.head(key)
        assert stored is not None and stored.size == len(big) > MAX
        return
    assert response.status_code == 413
    assert response.json()["code"] == "IMAGE_TOO_LARGE"
    assert await rig.store.head(key) is None
    exact = PNG + bytes(MAX - len(PNG))
    assert (await upload(rig, key, exact, "image/png")).is_success  # the limit is inclusive


async def test_bytes_must_be_the_declared_image_type_except_on_s3(rig: Rig) -> None:
    key = new_key()
    response = await upload(rig, key, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png")
    if rig.is_s3:  # S3 stores any bytes; the stored content type is still the signed one
        assert response.is_success
        stored = await rig.store.head(key)
        assert stored is not None and stored.content_type == "image/png"
        return
    assert response.status_code == 415
    assert response.json()["code"] == "IMAGE_CONTENT_MISMATCH"
    assert await rig.store.head(key) is None
    assert (await upload(rig, key, JPEG, "image/png")).status_code == 415


async def test_s3_bucket_cors_lets_the_pwa_put_and_get(rig: Rig) -> None:
    if not rig.is_s3:
        pytest.skip("the mesh's own CORS middleware covers /media (test_images_mesh.py)")
    rules = (await asyncio.to_thread(rig.client.get_bucket_cors, Bucket=rig.bucket))["CORSRules"]
    assert len(rules) == 1
    assert set(rules[0]["AllowedMethods"]) >= {"PUT", "GET"}
    assert rules[0]["AllowedOrigins"] == [ORIGIN]
    assert [h.lower() for h in rules[0]["AllowedHeaders"]] == ["content-type"]
    key = new_key()
    assert (await upload(rig, key, PNG, "image/png")).is_success
    response = await rig.http.get(rig.store.public_url(key), headers={"Origin": ORIGIN})
    assert response.headers.get("access-control-allow-origin") == ORIGIN
