"""Ports of the images domain: the object store the API, scan and chat use, and the blob store
behind the embedded one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PresignedUpload:
    """Where and how the browser PUTs the bytes: authorization lives in `url` itself."""

    url: str
    headers: dict[str, str]  # to send with the PUT exactly (the signed Content-Type)
    expires_in: int


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str


class ObjectStore(Protocol):
    """Uploaded images: S3 (+ CloudFront) deployed, the mesh's own store embedded.

    Keys are already well-formed (`model.new_key`); adapters store, they do not decide policy.
    """

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload:
        """A URL that lets anyone holding it PUT `key` with `content_type` until it expires.
        `max_bytes` is enforced at upload where the backend can (not S3: see ADR 0009)."""
        ...

    def public_url(self, key: str) -> str:
        """Where browsers GET the object (the contract's `cdn_url`)."""
        ...

    def key_for_url(self, url: str) -> str | None:
        """Our key iff `url` is exactly one of our public URLs, else None."""
        ...

    async def head(self, key: str) -> StoredObject | None: ...

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store bytes the mesh made itself (a generated picture), not a browser upload."""
        ...

    async def get(self, key: str) -> tuple[bytes, str]:
        """The bytes and content type; raises ImageNotFound."""
        ...

    async def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""
        ...


class BlobStore(Protocol):
    """Bytes by key for the embedded object store; a put is atomic (never half visible)."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> tuple[bytes, str] | None: ...

    async def stat(self, key: str) -> StoredObject | None: ...

    async def delete(self, key: str) -> None: ...
