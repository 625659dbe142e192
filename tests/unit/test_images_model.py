"""The images model: accepted types, key grammar, URL parsing and magic numbers."""

from __future__ import annotations

import uuid

import pytest

from functions.images.model import (
    CHANNELS,
    EXTENSIONS,
    InvalidUploadRequest,
    UnknownChannel,
    UnsupportedImageType,
    check_content_type,
    is_key,
    key_under,
    looks_like,
    new_key,
    owner_of,
)
from functions.kit.errors import error_body, http_status_and_code

USER = "3f1c2a9e-8d4b-4c5e-9f70-1a2b3c4d5e6f"
TOKEN = uuid.UUID(int=7).hex
BASE = "http://mesh.test/media"

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "


def heif(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00"


def test_accepted_types_are_canonicalized_and_others_refused() -> None:
    assert set(EXTENSIONS) == {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
    assert check_content_type(" Image/PNG ") == "image/png"
    for refused in ("image/gif", "image/svg+xml", "image/jpg", "application/pdf", "", "image/*"):
        with pytest.raises(UnsupportedImageType):
            check_content_type(refused)


def test_errors_carry_their_own_code_and_status_for_the_kit() -> None:
    assert http_status_and_code(UnsupportedImageType("x")) == (400, "UNSUPPORTED_IMAGE_TYPE")
    assert http_status_and_code(UnknownChannel("x")) == (404, "UNKNOWN_CHANNEL")
    exc = UnsupportedImageType("nope")
    assert error_body(exc.detail, exc.code or "") == {
        "detail": "nope",
        "code": "UNSUPPORTED_IMAGE_TYPE",
    }


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(("content_type", "ext"), sorted(EXTENSIONS.items()))
def test_keys_name_channel_owner_and_type(channel: str, content_type: str, ext: str) -> None:
    key = new_key(channel, USER, content_type, TOKEN)
    assert key == f"{channel}/{USER}/{TOKEN}.{ext}"
    assert is_key(key)
    assert owner_of(key) == USER


def test_keys_refuse_unknown_channels_and_unsafe_owners() -> None:
    with pytest.raises(UnknownChannel):
        new_key("avatars", USER, "image/png", TOKEN)
    for owner in ("", "..", "a/b", "a b", "x" * 129, "é"):
        with pytest.raises(InvalidUploadRequest):
            new_key("scan", owner, "image/png", TOKEN)
    with pytest.raises(InvalidUploadRequest):
        new_key("scan", USER, "image/png", "not-hex")


def test_malformed_keys_are_not_keys_and_have_no_owner() -> None:
    good = f"scan/{USER}/{TOKEN}.png"
    for bad in (
        good + "\n",
        "/" + good,
        good.upper(),
        good.replace(".png", ".gif"),
        f"scan/{USER}/../{TOKEN}.png",
        f"scan/{USER}/{TOKEN[:-1]}.png",
        f"other/{USER}/{TOKEN}.png",
        f"scan/{USER}%2F{TOKEN}.png",
    ):
        assert not is_key(bad), bad
        assert owner_of(bad) is None


def test_key_under_accepts_exactly_base_slash_key() -> None:
    key = f"chat/{USER}/{TOKEN}.webp"
    assert key_under(BASE, f"{BASE}/{key}") == key
    assert key_under(BASE + "/", f"{BASE}/{key}") == key  # a trailing slash on the base is fine
    for url in (
        f"http://mesh.test/mediax/{key}",
        f"http://mesh.test/{key}",
        f"https://mesh.test/media/{key}",
        f"http://mesh.test:80/media/{key}",
        f"http://MESH.test/media/{key}",
        f"http://mesh.test.evil/media/{key}",
        f"http://mesh.test/media//{key}",
        f"http://mesh.test/media/./{key}",
        f"http://mesh.test/media/{key}?v=1",
        f"http://mesh.test/media/{key}#x",
        f"http://mesh.test/media/{key.replace('/', '%2f')}",
        f"http://mesh.test/media/upload/{key}",
    ):
        assert key_under(BASE, url) is None, url


def test_magic_numbers_match_the_declared_type_only() -> None:
    samples = {
        "image/png": PNG,
        "image/jpeg": JPEG,
        "image/webp": WEBP,
        "image/heic": heif(b"heic"),
        "image/heif": heif(b"mif1"),
    }
    for content_type, head in samples.items():
        assert looks_like(content_type, head), content_type
        others = [t for t in samples if t != content_type and {t, content_type} != HEIFS]
        for other in others:
            assert not looks_like(other, head), (other, content_type)
    for brand in (b"heix", b"msf1", b"hevc"):
        assert looks_like("image/heic", heif(brand))
    assert not looks_like("image/heic", heif(b"avif"))  # AVIF shares the box, not the type
    assert not looks_like("image/webp", b"RIFF\x24\x00\x00\x00WAVEfmt ")
    assert not looks_like("image/png", b"")
    assert not looks_like("image/gif", b"GIF89a")


HEIFS = {"image/heic", "image/heif"}  # one container, two names: each accepts the other
