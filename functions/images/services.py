"""Use cases of the images domain: hand out an upload URL, and vet an image before it is used.

Scan and chat call `resolve_image` on every client-supplied `image_url`: it is the one place
that decides a URL is ours, the caller's, uploaded, within the size limit and an image, which
is also where S3's missing size cap is enforced (an oversize object is deleted on sight).
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from functions.images.model import (
    EXTENSIONS,
    ForeignImageUrl,
    ImageNotFound,
    ImageTooLarge,
    UnsupportedImageType,
    UploadLimits,
    check_channel,
    check_content_type,
    new_key,
    owner_of,
)
from functions.images.ports import ObjectStore, StoredObject


class UploadResponse(TypedDict):
    """The contract's answer to `POST /api/v1/images/{channel}`."""

    key: str
    upload_url: str
    cdn_url: str
    expires_in: int
    required_headers: dict[str, str]


async def create_upload(
    store: ObjectStore,
    user_id: str,
    channel: str,
    filename: str | None,
    content_type: str,
    *,
    limits: UploadLimits,
) -> UploadResponse:
    """A fresh key under the caller and a URL to PUT it with.

    The filename is ignored (neither checked nor kept): the content type decides the key's
    extension and, embedded, the bytes are checked against it at upload; a filename could
    only disagree with it, or smuggle characters into a key.
    """
    del filename
    canonical = check_content_type(content_type)
    key = new_key(check_channel(channel), user_id, canonical, uuid.uuid4().hex)
    upload = await store.presign_upload(key, canonical, limits.max_bytes, limits.expires_in)
    return UploadResponse(
        key=key,
        upload_url=upload.url,
        cdn_url=store.public_url(key),
        expires_in=upload.expires_in,
        required_headers=dict(upload.headers),
    )


async def resolve_image(
    store: ObjectStore, image_url: str, user_id: str, max_bytes: int
) -> StoredObject:
    """The stored object behind a client's `image_url`, once it is safe to use.

    ForeignImageUrl if the URL is not ours (we never fetch arbitrary URLs); ImageNotFound if
    it is another user's or was never uploaded (indistinguishable); ImageTooLarge if it is over
    `max_bytes` (the object is deleted); UnsupportedImageType if it is empty or not an image.
    """
    key = store.key_for_url(image_url)
    if key is None:
        raise ForeignImageUrl("image_url must be a cdn_url returned by POST /api/v1/images")
    if owner_of(key) != user_id:
        raise ImageNotFound("no such image")
    stored = await store.head(key)
    if stored is None:
        raise ImageNotFound("no such image")
    if stored.size > max_bytes:
        await store.delete(key)
        raise ImageTooLarge(f"images are limited to {max_bytes} bytes; upload a smaller one")
    if stored.size == 0 or stored.content_type.strip().lower() not in EXTENSIONS:
        raise UnsupportedImageType("the stored object is not an accepted image")
    return stored
