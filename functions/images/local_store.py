"""The embedded object store: S3's presigned-PUT semantics, served by the mesh itself.

An upload URL is `{public_base}/media/upload/{key}?expires&ct&max&sig`, where `sig` is an
HMAC-SHA256 over `PUT|key|expires|ct|max`: whoever holds the URL may PUT that key, with that
Content-Type, at most `max` bytes, until `expires` (unix seconds), and nothing else. Unlike S3
it also enforces the size and checks the bytes are the declared image type before storing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from functions.images.model import (
    EXTENSIONS,
    BadSignature,
    ContentTypeMismatch,
    ImageContentMismatch,
    ImageNotFound,
    ImageTooLarge,
    InvalidUploadRequest,
    UnsupportedImageType,
    UploadUrlExpired,
    is_key,
    key_under,
    looks_like,
)
from functions.images.ports import BlobStore, PresignedUpload, StoredObject

Clock = Callable[[], float]  # unix seconds
MEDIA_PREFIX = "/media"
UPLOAD_PREFIX = f"{MEDIA_PREFIX}/upload"


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """What a verified upload URL allows."""

    key: str
    content_type: str
    max_bytes: int


class LocalObjectStore:
    def __init__(
        self, blobs: BlobStore, public_base: str, signing_key: bytes, clock: Clock = time.time
    ) -> None:
        if len(signing_key) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        self.blobs = blobs
        self._base = public_base.rstrip("/")
        self._key = signing_key
        self._clock = clock

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload:
        if not is_key(key):
            raise ValueError(f"not an object key: {key!r}")
        expires = int(self._clock()) + expires_in
        signature = self._sign(key, expires, content_type, max_bytes)
        query = urlencode(
            {"expires": expires, "ct": content_type, "max": max_bytes, "sig": signature}
        )
        url = f"{self._base}{UPLOAD_PREFIX}/{quote(key)}?{query}"
        return PresignedUpload(url, {"Content-Type": content_type}, expires_in)

    def public_url(self, key: str) -> str:
        return f"{self._base}{MEDIA_PREFIX}/{quote(key)}"

    def key_for_url(self, url: str) -> str | None:
        return key_under(self._base + MEDIA_PREFIX, url)

    async def head(self, key: str) -> StoredObject | None:
        return await self.blobs.stat(key) if is_key(key) else None

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        if not is_key(key):
            raise InvalidUploadRequest(f"not an image key: {key!r}")
        if content_type not in EXTENSIONS:
            raise UnsupportedImageType(f"not an accepted image type: {content_type!r}")
        if not looks_like(content_type, data[:16]):
            raise ImageContentMismatch(f"the bytes are not a {content_type} image")
        await self.blobs.put(key, data, content_type)
        return StoredObject(key, len(data), content_type)

    async def get(self, key: str) -> tuple[bytes, str]:
        blob = await self.blobs.get(key) if is_key(key) else None
        if blob is None:
            raise ImageNotFound("no such image")
        return blob

    async def delete(self, key: str) -> None:
        if is_key(key):
            await self.blobs.delete(key)

    def authorize(self, key: str, query: Mapping[str, str]) -> UploadGrant:
        """The grant of a signed upload URL; BadSignature or UploadUrlExpired otherwise."""
        try:
            expires, max_bytes = int(query["expires"]), int(query["max"])
            content_type, signature = query["ct"], query["sig"]
        except (KeyError, ValueError):
            raise BadSignature("not a signed upload URL") from None
        if not is_key(key) or content_type not in EXTENSIONS:
            raise BadSignature("not a signed upload URL")
        expected = self._sign(key, expires, content_type, max_bytes)
        if not hmac.compare_digest(expected, signature):
            raise BadSignature("the upload URL's signature does not match")
        if self._clock() > expires:
            raise UploadUrlExpired("the upload URL has expired; ask for a new one")
        return UploadGrant(key, content_type, max_bytes)

    async def receive(
        self,
        key: str,
        query: Mapping[str, str],
        content_type: str | None,
        content_length: int | None,
        body: AsyncIterable[bytes],
    ) -> StoredObject:
        """Accept a PUT to an upload URL: verified, size-capped, sniffed, then stored whole.

        The body is read only up to `max + 1` bytes, so an oversize upload costs at most that
        much memory and leaves nothing behind.
        """
        grant = self.authorize(key, query)
        if (content_type or "").strip().lower() != grant.content_type:
            raise ContentTypeMismatch(f"send Content-Type: {grant.content_type}")
        too_large = ImageTooLarge(f"images are limited to {grant.max_bytes} bytes")
        if content_length is not None and content_length > grant.max_bytes:
            raise too_large
        data = bytearray()
        async for chunk in body:
            data += chunk
            if len(data) > grant.max_bytes:
                raise too_large
        if not looks_like(grant.content_type, bytes(data[:16])):
            raise ImageContentMismatch(f"the bytes are not a {grant.content_type} image")
        await self.blobs.put(key, bytes(data), grant.content_type)
        return StoredObject(key, len(data), grant.content_type)

    def _sign(self, key: str, expires: int, content_type: str, max_bytes: int) -> str:
        message = f"PUT|{key}|{expires}|{content_type}|{max_bytes}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
