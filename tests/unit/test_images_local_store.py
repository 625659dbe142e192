"""The embedded store's pieces: signed upload grants and the directory blob store's files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from functions.images.blob_stores import DirectoryBlobStore, MemoryBlobStore
from functions.images.local_store import LocalObjectStore
from functions.images.model import BadSignature, ImageTooLarge, UploadUrlExpired
from functions.images.ports import StoredObject

KEY = "chat/3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f/0123456789abcdef0123456789abcdef.png"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(8)


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_grant_holds_until_its_expiry_second_and_only_for_its_signer() -> None:
    clock = Clock()
    store = LocalObjectStore(MemoryBlobStore(), "http://a", b"1" * 32, clock)
    query = query_of((await store.presign_upload(KEY, "image/png", 10, 60)).url)
    assert query["expires"] == str(int(clock.now) + 60)
    grant = store.authorize(KEY, query)
    assert (grant.key, grant.content_type, grant.max_bytes) == (KEY, "image/png", 10)
    clock.now += 60
    store.authorize(KEY, query)  # still valid at the expiry second
    clock.now += 1
    with pytest.raises(UploadUrlExpired):
        store.authorize(KEY, query)
    other = LocalObjectStore(MemoryBlobStore(), "http://a", b"2" * 32, clock)
    with pytest.raises(BadSignature):  # checked before expiry: a stranger's URL is just bad
        other.authorize(KEY, query)


async def test_presigning_needs_a_real_key_and_a_long_enough_secret() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        LocalObjectStore(MemoryBlobStore(), "http://a", b"short", Clock())
    store = LocalObjectStore(MemoryBlobStore(), "http://a", b"1" * 32, Clock())
    with pytest.raises(ValueError, match="not an object key"):
        await store.presign_upload("../x.png", "image/png", 10, 60)
    for query in ({}, {"expires": "x", "max": "1", "ct": "image/png", "sig": "0"}):
        with pytest.raises(BadSignature):
            store.authorize(KEY, query)


async def test_an_oversize_body_is_refused_by_length_or_while_streaming() -> None:
    blobs = MemoryBlobStore()
    store = LocalObjectStore(blobs, "http://a", b"1" * 32, Clock())
    query = query_of((await store.presign_upload(KEY, "image/png", 20, 60)).url)
    with pytest.raises(ImageTooLarge):  # declared too long: refused before reading
        await store.receive(KEY, query, "image/png", 21, chunks(PNG))
    with pytest.raises(ImageTooLarge):  # chunked, no length: stopped at the 21st byte
        await store.receive(KEY, query, "image/png", None, chunks(PNG, bytes(8), bytes(8)))
    assert len(blobs) == 0
    stored = await store.receive(KEY, query, "IMAGE/PNG", None, chunks(PNG[:5], PNG[5:]))
    assert stored == StoredObject(KEY, len(PNG), "image/png")


async def test_directory_blobs_round_trip_with_their_content_type(tmp_path: Path) -> None:
    blobs = DirectoryBlobStore(tmp_path)
    await blobs.put(KEY, PNG, "image/png")
    assert await blobs.get(KEY) == (PNG, "image/png")
    assert await blobs.stat(KEY) == StoredObject(KEY, len(PNG), "image/png")
    assert (tmp_path / KEY).is_file()
    assert list((tmp_path / ".tmp").iterdir()) == []  # the temporary file was renamed away
    await blobs.put(KEY, b"", "image/png")
    assert await blobs.stat(KEY) == StoredObject(KEY, 0, "image/png")
    await blobs.delete(KEY)
    await blobs.delete(KEY)
    assert await blobs.get(KEY) is None and await blobs.stat(KEY) is None


async def test_directory_blobs_never_leave_the_root_nor_show_half_writes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    blobs = DirectoryBlobStore(root)
    (tmp_path / "secret").write_bytes(b"ECO2BLOB1 text/plain\nsecret")
    for key in ("../secret", "a/../../secret", "/etc/passwd", "a//b", ".tmp/x", "a/.hidden"):
        assert await blobs.get(key) is None, key
        assert await blobs.stat(key) is None, key
        with pytest.raises(ValueError):
            await blobs.put(key, b"x", "image/png")
    (root / "scan").mkdir(parents=True)
    (root / "scan" / "foreign.png").write_bytes(PNG)  # not written by us: no header
    assert await blobs.get("scan/foreign.png") is None
    (root / KEY).mkdir(parents=True)  # a directory where the file goes: the rename fails
    with pytest.raises(OSError):
        await blobs.put(KEY, PNG, "image/png")
    assert list((root / ".tmp").iterdir()) == []  # the failed write left nothing behind
