"""The `og:image` of an article page, fetched without becoming an SSRF tool.

An article URL comes from a third party, so before any byte is sent: only http(s), only the
scheme's default port, and the host is resolved here and *every* address it resolves to must
be public (`is_global`: no private, loopback, link-local — the cloud metadata address —,
shared, reserved or multicast range; IPv4-mapped IPv6 unwrapped). The request then goes to
the checked address itself (Host header and TLS SNI carry the name, so certificates are still
verified), so a DNS answer that changes between the check and the connect (rebinding) cannot
redirect it. Redirects are followed by hand, each hop checked the same way, at most 3. The
whole fetch has a time cap and reads at most `max_bytes` (and stops at `</head>`).
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from functions.info.model import UnsafeAddressError

log = logging.getLogger(__name__)
Resolve = Callable[[str, int], Awaitable[list[str]]]
IMAGE_PROPERTIES = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True, slots=True)
class Pinned:
    """A checked URL: where to connect (the address) and the name it is for."""

    url: str  # the address in place of the host name
    host: str  # the Host header
    server_name: str  # TLS SNI and certificate check


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        name = (values.get("property") or values.get("name") or "").lower()
        if name in IMAGE_PROPERTIES and values.get("content") and name not in self.found:
            self.found[name] = values["content"].strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.done = True

    def image(self) -> str | None:
        return next((self.found[p] for p in IMAGE_PROPERTIES if p in self.found), None)


class OgImageFinder:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        resolve: Resolve = system_resolve,
        allowed: Callable[[str], bool] = is_public,
        ports: Sequence[int] = (80, 443),
        max_bytes: int = 512 * 1024,
        timeout_s: float = 3.0,
        max_redirects: int = 3,
    ) -> None:
        self._client = client
        self._resolve = resolve
        self._allowed = allowed
        self._ports = tuple(ports)
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._max_redirects = max_redirects

    async def image_of(self, url: str) -> str | None:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._follow(url)
        except UnsafeAddressError as exc:
            log.info("og:image of %s refused: %s", url, exc.detail)
        except TimeoutError:
            log.info("og:image of %s: no answer within %.1f s", url, self._timeout_s)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            log.info("og:image of %s failed: %r", url, exc)
        return None

    async def pin(self, url: str) -> Pinned:
        """The URL bound to a checked public address, or UnsafeAddressError."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeAddressError(f"not an http(s) URL: {url[:200]!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if port not in self._ports:
            raise UnsafeAddressError(f"port {port} is not allowed")
        host = parts.hostname
        try:
            addresses = await self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnsafeAddressError(f"{host} does not resolve: {exc!r}") from exc
        unsafe = [ip for ip in addresses if not self._allowed(ip)]
        if not addresses or unsafe:
            raise UnsafeAddressError(f"{host} resolves to non-public {unsafe or 'nothing'}")
        ip = addresses[0].split("%")[0]
        literal = f"[{ip}]" if ":" in ip else ip
        netloc = literal if parts.port is None else f"{literal}:{port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        header = host if parts.port is None else f"{host}:{port}"
        return Pinned(pinned, header, host)

    async def _follow(self, url: str) -> str | None:
        for _ in range(self._max_redirects + 1):
            target = await self.pin(url)
            request = self._client.build_request(
                "GET", target.url, headers={"Host": target.host, "Accept": "text/html"},
                extensions={"sni_hostname": target.server_name},
            )  # fmt: skip
            response = await self._client.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if not response.is_success or "html" not in response.headers.get(
                    "content-type", ""
                ):
                    return None
                return await self._image(response, url)
            finally:
                await response.aclose()
        raise UnsafeAddressError(f"more than {self._max_redirects} redirects")

    async def _image(self, response: httpx.Response, page_url: str) -> str | None:
        parser = _Meta()
        read = 0
        try:
            decoder = codecs.getincrementaldecoder(response.encoding or "utf-8")("replace")
        except LookupError:  # a charset Python does not know: the meta tags are ASCII anyway
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
        async for chunk in response.aiter_bytes():
            allowed = chunk[: self._max_bytes - read]
            read += len(allowed)
            parser.feed(decoder.decode(allowed))
            if parser.done or read >= self._max_bytes:
                break
        found = parser.image()
        if not found:
            return None
        absolute = urljoin(page_url, found)
        return absolute if urlsplit(absolute).scheme in ("http", "https") else None
