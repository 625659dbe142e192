"""The og:image lookup: public addresses only (no SSRF), capped in size and time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from functions.info.model import UnsafeAddressError
from functions.info.og import OgImageFinder, is_public
from tests.support.news_fakes import Failure, NewsFake, news_fake, og_page


@pytest.fixture
async def fake() -> AsyncIterator[NewsFake]:
    async with news_fake() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as http:
        yield http


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


def port_of(fake: NewsFake) -> int:
    return urlsplit(fake.url).port or 0


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_not_public(ip: str) -> None:
    assert not is_public(ip)


def test_public_addresses_are() -> None:
    assert is_public("1.1.1.1") and is_public("2606:4700:4700::1111")


async def test_a_host_resolving_to_any_private_address_is_refused_before_connecting(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    fake.pages["secret"] = og_page("https://img.example/secret.png")
    finder = OgImageFinder(
        client, resolve=resolver({"news.test": ["127.0.0.1"]}), ports=(port_of(fake),)
    )
    url = f"http://news.test:{port_of(fake)}/pages/secret"
    assert await finder.image_of(url) is None
    assert fake.hits["page:secret"] == 0  # never contacted
    mixed = OgImageFinder(client, resolve=resolver({"h.test": ["1.1.1.1", "10.0.0.1"]}))
    with pytest.raises(UnsafeAddressError):
        await mixed.pin("https://h.test/")
    for bad in ("ftp://h.test/", "http://h.test:8080/", "file:///etc/passwd"):
        with pytest.raises(UnsafeAddressError):
            await mixed.pin(bad)


async def test_the_request_goes_to_the_checked_address_with_the_name_in_host(
    client: httpx.AsyncClient,
) -> None:
    finder = OgImageFinder(client, resolve=resolver({"news.test": ["93.184.216.34"]}))
    pinned = await finder.pin("https://news.test/a?b=1#frag")
    assert (pinned.url, pinned.host, pinned.server_name) == (
        "https://93.184.216.34/a?b=1",
        "news.test",
        "news.test",
    )


def local(fake: NewsFake, client: httpx.AsyncClient, **caps: float) -> OgImageFinder:
    """A finder that may reach the fake (and only it): loopback allowed for this test."""
    return OgImageFinder(
        client,
        resolve=resolver({"news.test": ["127.0.0.1"], "inner.test": ["10.0.0.7"]}),
        allowed=lambda ip: ip == "127.0.0.1",
        ports=(port_of(fake),),
        **caps,
    )  # type: ignore[arg-type]


async def test_the_og_image_is_found_and_made_absolute(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    fake.pages["a"] = og_page("/img/a.jpg")
    found = await local(fake, client).image_of(f"http://news.test:{port_of(fake)}/pages/a")
    assert found == f"http://news.test:{port_of(fake)}/img/a.jpg"
    fake.pages["js"] = og_page("javascript:alert(1)")
    assert await local(fake, client).image_of(f"http://news.test:{port_of(fake)}/pages/js") is None


async def test_size_and_time_are_capped(fake: NewsFake, client: httpx.AsyncClient) -> None:
    fake.pages["big"] = og_page("https://img.example/late.png", padding=300_000)
    finder = local(fake, client, max_bytes=64 * 1024)
    assert await finder.image_of(f"http://news.test:{port_of(fake)}/pages/big") is None
    fake.pages["slow"] = og_page("https://img.example/slow.png")
    fake.fail["page:slow"] = Failure(delay_s=3.0)
    slow = local(fake, client, timeout_s=0.3)
    assert await slow.image_of(f"http://news.test:{port_of(fake)}/pages/slow") is None


async def test_a_redirect_to_a_private_address_is_refused(
    fake: NewsFake, client: httpx.AsyncClient
) -> None:
    port = port_of(fake)
    fake.redirects["hop"] = f"http://inner.test:{port}/pages/secret"
    fake.pages["secret"] = og_page("https://img.example/secret.png")
    assert await local(fake, client).image_of(f"http://news.test:{port}/pages/hop") is None
    assert (fake.hits["page:hop"], fake.hits["page:secret"]) == (1, 0)
    fake.redirects["ok"] = f"http://news.test:{port}/pages/final"
    fake.pages["final"] = og_page("https://img.example/final.png")
    found = await local(fake, client).image_of(f"http://news.test:{port}/pages/ok")
    assert found == "https://img.example/final.png"
