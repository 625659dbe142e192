"""The Kakao Local adapter against a wire fake: KakaoAK, string coordinates, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from functions.location.public.errors import (
    CircuitOpenError,
    MalformedResponseError,
    ProviderRejectedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from functions.location.public.kakao import KakaoLocal
from functions.location.public.resilient import Policy, Source
from tests.support.public_data_fakes import KAKAO_KEY, FakeKakao, Raw, kakao_doc

POLICY = Policy(timeout_s=0.3, retries=2, backoff_s=0.0, cache_ttl_s=60, breaker_failures=3)


@pytest.fixture
def fake() -> FakeKakao:
    return FakeKakao(documents=[kakao_doc("26338954", "리필 가게", 37.5665, 126.978,
                                          distance="418")])  # fmt: skip


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def kakao(url: str, client: httpx.AsyncClient, key: str = KAKAO_KEY) -> KakaoLocal:
    return KakaoLocal(Source("kakao", client, POLICY), key, url)


async def test_keyword_parses_string_coordinates_and_sends_kakaoak(
    fake: FakeKakao, client: httpx.AsyncClient
) -> None:
    async with fake.running() as url:
        (place,) = await kakao(url, client).keyword("리필", latitude=37.5, longitude=127.0,
                                                    radius_m=99_999)  # fmt: skip
    assert (place.id, place.name, place.latitude, place.longitude) == (
        "26338954", "리필 가게", 37.5665, 126.978,
    )  # fmt: skip
    assert place.distance_m == 418.0 and place.place_url.endswith("/26338954")
    sent = fake.seen[0]
    assert sent["x"] == "127.000000" and sent["y"] == "37.500000"
    assert sent["radius"] == "20000" and sent["sort"] == "distance"  # Kakao's limit


async def test_category_search_and_the_cache(fake: FakeKakao, client: httpx.AsyncClient) -> None:
    async with fake.running() as url:
        adapter = kakao(url, client)
        first = await adapter.category("CE7", latitude=37.5, longitude=127.0, radius_m=500)
        second = await adapter.category("CE7", latitude=37.5, longitude=127.0, radius_m=500)
    assert first == second and len(fake.seen) == 1  # the second came from the cache
    assert fake.seen[0]["category_group_code"] == "CE7"


async def test_a_wrong_key_is_a_refusal_with_kakaos_error_type(
    fake: FakeKakao, client: httpx.AsyncClient
) -> None:
    async with fake.running() as url:
        with pytest.raises(ProviderRejectedError) as caught:
            await kakao(url, client, key="wrong").keyword("리필")
    assert caught.value.provider_code == "AccessDeniedError"
    assert len(fake.seen) == 1  # a refusal is not retried


async def test_5xx_and_429_are_retried_then_given_up(
    fake: FakeKakao, client: httpx.AsyncClient
) -> None:
    fake.script(Raw(503, {"errorType": "ServiceUnavailable"}), Raw(429, {}))
    async with fake.running() as url:
        adapter = kakao(url, client)
        assert len(await adapter.keyword("리필")) == 1  # third attempt answered
        fake.script(*[Raw(500, {})] * 3)
        with pytest.raises(ProviderUnavailableError) as caught:
            await adapter.keyword("다른 말")
    assert caught.value.provider_code == "500" and len(fake.seen) == 6


async def test_a_timeout_is_retried_and_reported_as_a_timeout(
    fake: FakeKakao, client: httpx.AsyncClient
) -> None:
    fake.script(*[Raw(delay_s=1.0)] * 3)
    async with fake.running() as url:
        with pytest.raises(ProviderTimeoutError):
            await kakao(url, client).keyword("느림")
    assert len(fake.seen) == 3


@pytest.mark.parametrize(
    "body",
    [
        "<html>gateway</html>",
        {"meta": {}},
        {"documents": [{"id": "1", "place_name": "x", "x": "동경", "y": "37.5"}]},
        {"documents": [{"id": "1", "place_name": "x"}]},
    ],
)
async def test_malformed_bodies_are_malformed_not_pins(
    body: object, fake: FakeKakao, client: httpx.AsyncClient
) -> None:
    fake.script(Raw(200, body))
    async with fake.running() as url:
        with pytest.raises(MalformedResponseError):
            await kakao(url, client).keyword("이상함")
    assert len(fake.seen) == 1


async def test_the_breaker_opens_after_repeated_failures(
    fake: FakeKakao, client: httpx.AsyncClient
) -> None:
    fake.script(*[Raw(200, "not json")] * 3)
    async with fake.running() as url:
        adapter = kakao(url, client)
        for n in range(3):
            with pytest.raises(MalformedResponseError):
                await adapter.keyword(f"q{n}")
        with pytest.raises(CircuitOpenError):
            await adapter.keyword("q3")
    assert len(fake.seen) == 3  # the open circuit did not call
