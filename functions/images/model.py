"""The images domain, pure: which uploads are allowed, how keys look, what bytes are images.

No I/O here. A key is `{channel}/{user_id}/{uuid4 hex}.{ext}`: the channel and owner are part
of the name, so ownership is checked from the key alone, and the strict key grammar is what
rejects path tricks (`..`, encoded slashes, query strings) in URLs a client sends back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from functions.kit.errors import (
    BadRequestError,
    Eco2Error,
    NotFoundError,
    UnavailableError,
)

CHANNELS: tuple[str, ...] = ("scan", "chat", "my")
# Content type -> key extension. image/heif is the container's generic name (some browsers and
# Android report it for the same files iPhones call image/heic), so both are accepted.
EXTENSIONS: Mapping[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
}
CONTENT_TYPES: Mapping[str, str] = {ext: ct for ct, ext in EXTENSIONS.items()}
# ISO-BMFF major brands of HEIF still images (HEVC-coded or generic); AVIF is not accepted.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_USER_ID = r"[A-Za-z0-9_-]{1,128}"
_KEY = re.compile(
    rf"(?P<channel>{'|'.join(CHANNELS)})/(?P<owner>{_USER_ID})/[0-9a-f]{{32}}"
    rf"\.(?:{'|'.join(CONTENT_TYPES)})"
)
_USER_ID_RE = re.compile(_USER_ID)


class ImagesError(Eco2Error):
    """Base of the images package's errors: each names the `code` and HTTP `status` the
    kit's error table answers with (its family row decides the rest)."""


class UnknownChannel(ImagesError, NotFoundError):
    code = "UNKNOWN_CHANNEL"
    status = 404


class InvalidUploadRequest(ImagesError, BadRequestError):
    code = "INVALID_UPLOAD_REQUEST"
    status = 400


class UnsupportedImageType(ImagesError, BadRequestError):
    code = "UNSUPPORTED_IMAGE_TYPE"
    status = 400


class ForeignImageUrl(ImagesError, BadRequestError):
    """An image_url that is not one of our public URLs: we never fetch arbitrary URLs."""

    code = "FOREIGN_IMAGE_URL"
    status = 400


class ImageNotFound(ImagesError, NotFoundError):
    """Not uploaded, or not the caller's: the two are indistinguishable on purpose."""

    code = "IMAGE_NOT_FOUND"
    status = 404


class ImageTooLarge(ImagesError, BadRequestError):
    code = "IMAGE_TOO_LARGE"
    status = 413


class BadSignature(ImagesError, BadRequestError):
    """An upload URL we did not sign (or one altered since). 400, not 403: see ADR 0009."""

    code = "BAD_SIGNATURE"
    status = 400


class UploadUrlExpired(ImagesError, BadRequestError):
    code = "UPLOAD_URL_EXPIRED"
    status = 400


class ContentTypeMismatch(ImagesError, BadRequestError):
    """The PUT's Content-Type is not the one the URL was signed for."""

    code = "CONTENT_TYPE_MISMATCH"
    status = 400


class ImageContentMismatch(ImagesError, BadRequestError):
    """The bytes are not an image of the declared type (checked by magic numbers)."""

    code = "IMAGE_CONTENT_MISMATCH"
    status = 415


class ImagesUnavailable(ImagesError, UnavailableError):
    """The object store could not be reached (translated from the client library's errors)."""

    code = "IMAGES_UNAVAILABLE"
    status = 503


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_bytes: int
    expires_in: int  # seconds an upload URL stays valid


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise UnknownChannel(f"unknown image channel {channel!r} (one of {', '.join(CHANNELS)})")
    return channel


def check_content_type(content_type: str) -> str:
    """The canonical (lower-case, trimmed) content type if it is an accepted image type."""
    canonical = content_type.strip().lower()
    if canonical not in EXTENSIONS:
        allowed = ", ".join(EXTENSIONS)
        raise UnsupportedImageType(f"{content_type!r} is not an accepted image type ({allowed})")
    return canonical


def new_key(channel: str, user_id: str, content_type: str, token: str) -> str:
    """The key of a new upload; `token` is a uuid4 hex (passed in: this module draws nothing)."""
    if not _USER_ID_RE.fullmatch(user_id):
        raise InvalidUploadRequest("the caller's id cannot be part of an object key")
    key = (
        f"{check_channel(channel)}/{user_id}/{token}.{EXTENSIONS[check_content_type(content_type)]}"
    )
    if not is_key(key):
        raise InvalidUploadRequest("malformed upload token")
    return key


def is_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def owner_of(key: str) -> str | None:
    match = _KEY.fullmatch(key)
    return match["owner"] if match else None


def key_under(base: str, url: str) -> str | None:
    """`url`'s key iff it is exactly `{base}/{key}` with a well-formed key, else None.

    Byte-exact: we minted these URLs, so anything else (another host, a port or scheme
    variant, percent-encoding, dot segments, a query or fragment) is not ours.
    """
    prefix = base.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    key = url[len(prefix) :]
    return key if is_key(key) else None


def looks_like(content_type: str, head: bytes) -> bool:
    """Whether `head` (the first bytes, 12 are enough) starts like an image of `content_type`."""
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type in ("image/heic", "image/heif"):
        return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS
    return False
