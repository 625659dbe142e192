"""The login start is rate-limited per client address and its stored states are bounded:
a flood of starts (1,000 from one address used to leave 1,000 state keys) gets 429s in the
contract format, with Retry-After, and stores nothing more."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from functions.auth.memory_stores import MemoryStateStore
from functions.auth.model import LoginState
from functions.auth.ports import StateStore
from functions.auth.redis_state import RedisStateStore
from functions.kit.settings import Settings
from tests.rig import RedisNamespace
from tests.support.auth_mesh import ORIGIN, Harness, running


def login(state: str) -> LoginState:
    return LoginState(state, "dev", ORIGIN, "http://cb", None, None, time.time() + 600)


@pytest.fixture
async def redis(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url_and_prefix.url)
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def states(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return MemoryStateStore()
    ns: RedisNamespace = request.getfixturevalue("redis_url_and_prefix")
    return RedisStateStore(request.getfixturevalue("redis"), ns.prefix)


async def test_admit_allows_the_limit_per_client_then_says_when(states: StateStore) -> None:
    assert [await states.admit("10.0.0.1", 3, 60) for _ in range(3)] == [0.0] * 3
    wait_s = await states.admit("10.0.0.1", 3, 60)
    assert 0 < wait_s <= 60
    assert await states.admit("10.0.0.2", 3, 60) == 0.0  # another address is not affected


async def test_the_memory_store_keeps_at_most_its_cap_newest_first() -> None:
    store = MemoryStateStore(max_states=100)
    for i in range(1_000):
        await store.put(login(f"s{i}"))
    assert len(store) == 100
    assert await store.take("s0") is None  # the oldest went first
    assert (taken := await store.take("s999")) is not None and taken.state == "s999"


async def test_the_memory_store_bounds_its_rate_windows() -> None:
    store = MemoryStateStore(max_clients=10)
    for i in range(100):
        await store.admit(f"10.0.0.{i}", 5, 60)
    assert len(store._windows) == 10


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with running(Settings(mode="embedded", auth_login_rate_per_min=5)) as found:
        yield found


async def test_a_flood_of_starts_gets_429_and_stores_nothing_more(harness: Harness) -> None:
    store = await harness.mesh.runtime.container.get("auth_state_store")  # type: ignore[union-attr]
    headers = {"X-Frontend-Origin": ORIGIN}
    refused = await harness.call(
        "GET", "/api/v1/auth/dev", headers={"X-Frontend-Origin": "http://evil.example"}
    )
    assert refused.status_code == 400  # a refused start does not count against the address
    answers = [await harness.call("GET", "/api/v1/auth/dev", headers=headers) for _ in range(40)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 35
    limited = answers[-1]
    assert limited.json()["code"] == "RATE_LIMITED" and limited.json()["detail"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert len(store) == 5
