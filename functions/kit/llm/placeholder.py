"""A small PNG drawn without a model: the offline provider's picture (embedded mode, tests).

Deterministic per prompt (its colours come from a hash of it), so a repeated run draws the
same picture; stdlib only (zlib + struct), no imaging library."""

from __future__ import annotations

import hashlib
import struct
import zlib

SIZE = 64


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def placeholder_png(prompt: str, size: int = SIZE) -> bytes:
    """A `size`² RGB picture: two colours from the prompt, in diagonal stripes."""
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    ground, stripe = digest[:3], digest[3:6]
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows += stripe if (x + y) // 8 % 2 else ground
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b""))  # fmt: skip
