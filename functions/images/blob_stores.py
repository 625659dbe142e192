"""Blob stores behind the embedded object store: a dict, or a directory of files.

The directory store keeps each blob in one file, `ECO2BLOB1 <content type>\\n` then the bytes,
written to a temporary file and renamed into place, so a reader sees the whole upload or none
of it and the content type can never be separated from its bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from pathlib import Path

from functions.images.ports import StoredObject

_MAGIC = b"ECO2BLOB1 "
_HEADER_MAX = 256  # magic + content type + newline always fit
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}")  # no dot segments, no hidden files


class MemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self._blobs[key] = (bytes(data), content_type)

    async def get(self, key: str) -> tuple[bytes, str] | None:
        return self._blobs.get(key)

    async def stat(self, key: str) -> StoredObject | None:
        blob = self._blobs.get(key)
        return StoredObject(key, len(blob[0]), blob[1]) if blob else None

    async def delete(self, key: str) -> None:
        self._blobs.pop(key, None)

    def __len__(self) -> int:
        return len(self._blobs)


class DirectoryBlobStore:
    """Files under `root` named by key; blocking file I/O runs in worker threads."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / ".tmp"  # never a key: segments cannot start with a dot

    def _path(self, key: str) -> Path | None:
        parts = key.split("/")
        if not all(_SEGMENT.fullmatch(p) for p in parts):
            return None
        return self.root.joinpath(*parts)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        if path is None or "\n" in content_type or len(content_type) > 200:
            raise ValueError(f"cannot store {key!r} as {content_type!r}")
        await asyncio.to_thread(self._write, path, data, content_type)

    def _write(self, path: Path, data: bytes, content_type: str) -> None:
        self._tmp.mkdir(parents=True, exist_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp / uuid.uuid4().hex
        try:
            with tmp.open("wb") as f:
                f.write(_MAGIC + content_type.encode() + b"\n")
                f.write(data)
            os.replace(tmp, path)  # atomic on one filesystem: all or nothing is visible
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    async def get(self, key: str) -> tuple[bytes, str] | None:
        path = self._path(key)
        return None if path is None else await asyncio.to_thread(self._read, path)

    @staticmethod
    def _read(path: Path) -> tuple[bytes, str] | None:
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        parsed = _split_header(raw[:_HEADER_MAX])
        if parsed is None:
            return None
        content_type, header_len = parsed
        return raw[header_len:], content_type

    async def stat(self, key: str) -> StoredObject | None:
        path = self._path(key)
        return None if path is None else await asyncio.to_thread(self._stat, key, path)

    @staticmethod
    def _stat(key: str, path: Path) -> StoredObject | None:
        try:
            with path.open("rb") as f:
                head = f.read(_HEADER_MAX)
                size = os.fstat(f.fileno()).st_size
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        parsed = _split_header(head)
        if parsed is None:
            return None
        content_type, header_len = parsed
        return StoredObject(key, size - header_len, content_type)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        if path is not None:
            await asyncio.to_thread(path.unlink, missing_ok=True)


def _split_header(head: bytes) -> tuple[str, int] | None:
    """(content type, header length) of a blob file's first bytes; None if not one of ours."""
    if not head.startswith(_MAGIC):
        return None
    end = head.find(b"\n")
    if end < 0:
        return None
    return head[len(_MAGIC) : end].decode(), end + 1
