"""The photo every virtual user uploads: a small but real PNG (32 x 32, a green gradient),
built here rather than stored, so the images domain's type sniffing sees genuine bytes."""

from __future__ import annotations

import struct
import zlib

SIDE = 32


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def small_png(side: int = SIDE) -> bytes:
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // side, 160, y * 255 // side)) for x in range(side))
        for y in range(side)
    )  # each scanline: filter type 0, then RGB pixels
    signature = b"\x89PNG\r\n\x1a\n"
    return (signature + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows))
            + _chunk(b"IEND", b""))  # fmt: skip
