"""HTTP/1.1 written by hand on a socket: the requests no client library will send (control
bytes in a header, a non-ASCII path, a body larger than it says), and their answers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


async def exchange(
    host: str,
    port: int,
    head: list[bytes],
    body: bytes = b"",
    *,
    chunked: int | None = None,
) -> Answer:
    """Send the request line and headers in `head` (plus `connection: close`), then `body`,
    or `chunked` bytes as a chunked body while the answer is read; the answer, even when the
    server hung up on a body it refused."""
    reader, writer = await asyncio.open_connection(host, port)
    extra = [b"transfer-encoding: chunked"] if chunked is not None else []
    writer.write(b"\r\n".join([*head, b"connection: close", *extra]) + b"\r\n\r\n" + body)

    async def stream() -> None:
        sent, chunk = 0, b"x" * 65536
        while chunked is not None and sent < chunked:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
        writer.write(b"0\r\n\r\n" if chunked is not None else b"")
        await writer.drain()

    sender = asyncio.create_task(stream())
    data = b""
    try:
        async with asyncio.timeout(20):
            while received := await reader.read(65536):
                data += received
    except (ConnectionResetError, BrokenPipeError):
        pass  # the server hung up on a body it refused: its answer is already read
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        writer.close()
    return parse(data)


def parse(data: bytes) -> Answer:
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body, rest = body + rest[:size], rest[size + 2 :]
        rest = body
    elif "content-length" in headers:
        rest = rest[: int(headers["content-length"])]
    return Answer(int(lines[0].split()[1]), headers, rest)
