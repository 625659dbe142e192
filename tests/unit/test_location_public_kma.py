"""KMA: the Lambert grid on known points, base times, NO_DATA fallback and errors (wire fake)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from functions.location.hours import SEOUL
from functions.location.public import kma_grid
from functions.location.public.errors import (
    MalformedResponseError,
    NoDataError,
    ProviderRejectedError,
    ProviderUnavailableError,
)
from functions.location.public.kma import KmaWeather
from functions.location.public.resilient import Policy, Source
from tests.support.public_data_fakes import DATA_KEY, FakeKma, Raw, data_go_kr

POLICY = Policy(timeout_s=0.3, retries=1, backoff_s=0.0)
NOW = datetime(2026, 1, 5, 15, 15, tzinfo=SEOUL)  # 15:00 is out, the 14:00 forecast too


@pytest.mark.parametrize(
    ("where", "lat", "lon", "grid"),
    [
        ("Seoul City Hall", 37.5665, 126.9780, (60, 127)),
        ("the projection's origin", 38.0, 126.0, (43, 136)),
        ("Busan City Hall", 35.1798, 129.0750, (98, 76)),
        ("Jeju City Hall", 33.4996, 126.5312, (53, 38)),
    ],
)
def test_lambert_grid_on_known_points(
    where: str, lat: float, lon: float, grid: tuple[int, int]
) -> None:
    assert kma_grid.to_grid(lat, lon) == grid, where


def test_base_times() -> None:
    def base(fn: object, clock: str, day: int = 5) -> str:
        hour, minute = (int(x) for x in clock.split(":"))
        moment = datetime(2026, 1, day, hour, minute, tzinfo=SEOUL)
        return "".join(kma_grid.wire(fn(moment)))  # type: ignore[operator]

    assert base(kma_grid.observation_base, "15:05") == "202601051400"  # 15:00 not out yet
    assert base(kma_grid.observation_base, "15:10") == "202601051500"
    assert base(kma_grid.observation_base, "00:05") == "202601042300"
    assert base(kma_grid.forecast_base, "02:09") == "202601042300"
    assert base(kma_grid.forecast_base, "02:10") == "202601050200"
    assert base(kma_grid.forecast_base, "23:59") == "202601052300"
    utc = datetime(2026, 1, 4, 21, 30, tzinfo=UTC)  # 06:30 on the 5th in Seoul
    assert "".join(kma_grid.wire(kma_grid.observation_base(utc))) == "202601050600"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def weather(url: str, client: httpx.AsyncClient, key: str = DATA_KEY) -> KmaWeather:
    return KmaWeather(Source("kma", client, POLICY), key, url, now=lambda: NOW)


async def test_current_weather_at_city_hall(client: httpx.AsyncClient) -> None:
    fake = FakeKma()
    async with fake.running() as url:
        found = await weather(url, client).current(37.5665, 126.9780)
    assert (found.nx, found.ny) == (60, 127) and found.temperature_c == 3.4
    assert found.precipitation == "없음" and found.base == datetime(2026, 1, 5, 15, tzinfo=SEOUL)
    sent = fake.seen[0]
    assert (sent["base_date"], sent["base_time"], sent["nx"], sent["ny"]) == (
        "20260105", "1500", "60", "127",
    )  # fmt: skip
    assert sent["dataType"] == "JSON"


async def test_no_data_yet_falls_back_to_the_previous_hour(client: httpx.AsyncClient) -> None:
    fake = FakeKma(missing={("20260105", "1500")})
    async with fake.running() as url:
        found = await weather(url, client).current(37.5665, 126.9780)
    assert [q["base_time"] for q in fake.seen] == ["1500", "1400"]
    assert found.base.hour == 14


async def test_forecast_slots_and_its_fallback(client: httpx.AsyncClient) -> None:
    fake = FakeKma(missing={("20260105", "1400")})
    async with fake.running() as url:
        found = await weather(url, client).forecast(35.1798, 129.0750)
    assert [q["base_time"] for q in fake.seen] == ["1400", "1100"]
    assert [s.at.hour for s in found.slots] == [15, 16]
    assert found.slots[0].values == {"TMP": "4", "POP": "60", "PTY": "1", "SKY": "4"}


async def test_a_key_refused_by_the_gateway_in_xml(client: httpx.AsyncClient) -> None:
    fake = FakeKma()
    async with fake.running() as url:
        with pytest.raises(ProviderRejectedError) as caught:
            await weather(url, client, key="wrong").current(37.5, 127.0)
    assert caught.value.provider_code == "30" and len(fake.seen) == 1


async def test_provider_codes_temporary_refused_and_nothing_at_all(
    client: httpx.AsyncClient,
) -> None:
    fake = FakeKma()
    fake.script(Raw(200, data_go_kr("", "05", "SERVICETIMEOUT_ERROR")))  # retried: answers
    async with fake.running() as url:
        adapter = weather(url, client)
        assert (await adapter.current(37.5, 127.0)).values["T1H"] == "3.4"
        fake.script(*[Raw(200, data_go_kr("", "22", "LIMITED_NUMBER_OF_SERVICE_REQUESTS"))])
        with pytest.raises(ProviderRejectedError) as refused:
            await adapter.current(36.0, 128.0)
        assert refused.value.provider_code == "22"
        fake.script(*[Raw(200, data_go_kr("", "01", "APPLICATION_ERROR"))] * 2)
        with pytest.raises(ProviderUnavailableError):
            await adapter.current(35.0, 128.0)
        fake.missing.update({("20260105", "1500"), ("20260105", "1400")})
        with pytest.raises(NoDataError):
            await adapter.current(34.9, 127.0)


@pytest.mark.parametrize(
    "body",
    ["{oops", {"response": {}}, data_go_kr({"item": [{"category": "T1H"}]}),
     data_go_kr({"item": "text"})],
)  # fmt: skip
async def test_malformed_answers(body: object, client: httpx.AsyncClient) -> None:
    fake = FakeKma()
    fake.script(Raw(200, body))
    async with fake.running() as url:
        with pytest.raises(MalformedResponseError):
            await weather(url, client).current(37.5, 127.0)
