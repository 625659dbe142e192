"""The auth stores' contracts (login state, session families, revocations), on memory and
on real Redis (one server and the local cluster); plus the Redis layout the Go ext-authz
reads (docs/adr/0005)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from functions.auth.memory_stores import MemoryRevocationStore, MemorySessionStore, MemoryStateStore
from functions.auth.model import LoginState, Outcome, RefreshRecord, Revocation, Successor
from functions.auth.ports import RevocationStore, SessionStore, StateStore
from functions.auth.redis_revocations import RedisRevocationStore
from functions.auth.redis_sessions import RedisSessionStore
from functions.auth.redis_state import RedisStateStore
from tests.rig import RedisClusterNamespace, RedisNamespace

KINDS = [
    "memory",
    pytest.param("redis", marks=pytest.mark.integration),
    pytest.param("redis_cluster", marks=pytest.mark.integration),
]
GRACE_S = 30.0


@pytest.fixture
async def redis(redis_url_and_prefix: RedisNamespace) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url_and_prefix.url)
    yield client
    await client.aclose()


def _build(request: pytest.FixtureRequest, memory: type, real: type) -> Any:
    if request.param == "memory":
        return memory()
    if request.param == "redis_cluster":
        cluster: RedisClusterNamespace = request.getfixturevalue("redis_cluster")
        return real(cluster.client, cluster.prefix)
    ns: RedisNamespace = request.getfixturevalue("redis_url_and_prefix")
    return real(request.getfixturevalue("redis"), ns.prefix)


@pytest.fixture(params=KINDS)
def states(request: pytest.FixtureRequest) -> StateStore:
    found: StateStore = _build(request, MemoryStateStore, RedisStateStore)
    return found


@pytest.fixture(params=KINDS)
def sessions(request: pytest.FixtureRequest) -> SessionStore:
    found: SessionStore = _build(request, MemorySessionStore, RedisSessionStore)
    return found


@pytest.fixture(params=KINDS)
def revocations(request: pytest.FixtureRequest) -> RevocationStore:
    found: RevocationStore = _build(request, MemoryRevocationStore, RedisRevocationStore)
    return found


def login(state: str = "s1", ttl_s: float = 600) -> LoginState:
    return LoginState(state, "google", "http://localhost:5173", "http://cb", "v", None,
                      time.time() + ttl_s)  # fmt: skip


# ------------------------------------------------------------------ login state


async def test_a_state_is_taken_once(states: StateStore) -> None:
    await states.put(login())
    taken = await states.take("s1")
    assert taken is not None and taken.provider == "google"
    assert await states.take("s1") is None  # replay
    assert await states.take("never-issued") is None


async def test_a_state_keeps_what_the_login_needs(states: StateStore) -> None:
    kept = login("s2")
    await states.put(kept)
    assert await states.take("s2") == kept


async def test_an_expired_state_is_gone(states: StateStore) -> None:
    await states.put(login("old", ttl_s=0.3))
    await asyncio.sleep(0.5)
    assert await states.take("old") is None


async def test_concurrent_takes_of_one_state_have_one_winner(states: StateStore) -> None:
    await states.put(login("race"))
    taken = await asyncio.gather(*(states.take("race") for _ in range(20)))
    assert sum(t is not None for t in taken) == 1


# ------------------------------------------------------------------ session families


def successor(n: int, now: float | None = None) -> Successor:
    iat = int(now or time.time())
    return Successor(f"a{n}", f"r{n}", iat, iat + 900, iat + 1_209_600)


async def opened(store: SessionStore, sid: str = "sid-1") -> RefreshRecord:
    record = RefreshRecord("r0", sid, "user-1", "kakao", int(time.time()) + 3600)
    await store.open(record)
    return record


async def test_rotation_moves_the_session_to_the_successor(sessions: SessionStore) -> None:
    await opened(sessions)
    first = await sessions.rotate("r0", "sid-1", successor(1), time.time(), GRACE_S)
    assert first.outcome is Outcome.ROTATED and first.successor == successor(1)
    assert (first.user_id, first.provider) == ("user-1", "kakao")
    assert first.family_exp is not None and first.family_exp >= successor(1).refresh_exp
    second = await sessions.rotate("r1", "sid-1", successor(2), time.time(), GRACE_S)
    assert second.outcome is Outcome.ROTATED and second.successor == successor(2)


async def test_a_second_use_within_grace_gets_the_same_successor(sessions: SessionStore) -> None:
    await opened(sessions)
    now = time.time()
    await sessions.rotate("r0", "sid-1", successor(1), now, GRACE_S)
    again = await sessions.rotate("r0", "sid-1", successor(9), now + 5, GRACE_S)
    assert again.outcome is Outcome.REPLAYED and again.successor == successor(1)


async def test_concurrent_rotations_share_one_successor(sessions: SessionStore) -> None:
    await opened(sessions)
    now = time.time()
    results = await asyncio.gather(
        *(sessions.rotate("r0", "sid-1", successor(n), now, GRACE_S) for n in range(1, 11))
    )
    assert [r.outcome for r in results].count(Outcome.ROTATED) == 1
    assert {r.outcome for r in results} == {Outcome.ROTATED, Outcome.REPLAYED}
    assert len({r.successor for r in results}) == 1


async def test_reuse_after_grace_revokes_the_whole_family(sessions: SessionStore) -> None:
    await opened(sessions)
    now = time.time()
    await sessions.rotate("r0", "sid-1", successor(1), now, GRACE_S)
    reused = await sessions.rotate("r0", "sid-1", successor(2), now + GRACE_S + 1, GRACE_S)
    assert reused.outcome is Outcome.REUSED and reused.successor is None
    assert reused.family_exp is not None and reused.family_exp >= successor(1).refresh_exp
    # the successor (the thief's or the victim's) is dead too
    after = await sessions.rotate("r1", "sid-1", successor(3), now + GRACE_S + 2, GRACE_S)
    assert after.outcome is Outcome.REVOKED


async def test_a_revoked_family_rotates_no_more(sessions: SessionStore) -> None:
    record = await opened(sessions)
    assert await sessions.revoke_family("sid-1") == record.exp
    refused = await sessions.rotate("r0", "sid-1", successor(1), time.time(), GRACE_S)
    assert refused.outcome is Outcome.REVOKED


async def test_unknown_tokens_and_families(sessions: SessionStore) -> None:
    await opened(sessions)
    unknown = await sessions.rotate("nope", "sid-1", successor(1), time.time(), GRACE_S)
    assert unknown.outcome is Outcome.UNKNOWN
    other_family = await sessions.rotate("r0", "sid-2", successor(1), time.time(), GRACE_S)
    assert other_family.outcome is Outcome.UNKNOWN
    assert await sessions.revoke_family("sid-unknown") is None
    again = await sessions.rotate("r0", "sid-unknown", successor(1), time.time(), GRACE_S)
    assert again.outcome is Outcome.UNKNOWN  # revoking an unknown family created nothing


async def test_an_expired_refresh_token_is_unknown(sessions: SessionStore) -> None:
    record = await opened(sessions)
    late = await sessions.rotate("r0", "sid-1", successor(1), record.exp + 1, GRACE_S)
    assert late.outcome is Outcome.UNKNOWN


# ------------------------------------------------------------------ revocations


async def test_revoked_tokens_and_families_are_known(revocations: RevocationStore) -> None:
    exp = int(time.time()) + 600
    await revocations.revoke([Revocation("jti", "j1", exp), Revocation("sid", "s1", exp)])
    now = time.time()
    assert await revocations.is_revoked("j1", "other", now)
    assert await revocations.is_revoked("other", "s1", now)
    assert not await revocations.is_revoked("j2", "s2", now)
    assert sorted(r.member for r in await revocations.snapshot(now)) == ["jti:j1", "sid:s1"]


async def test_the_longest_expiry_wins_and_expired_entries_go(
    revocations: RevocationStore,
) -> None:
    now = int(time.time())
    await revocations.revoke([Revocation("sid", "s1", now + 900)])
    await revocations.revoke([Revocation("sid", "s1", now + 60)])  # shorter: ignored
    await revocations.revoke([Revocation("jti", "old", now - 5)])
    assert await revocations.snapshot(now) == [Revocation("sid", "s1", now + 900)]
    assert not await revocations.is_revoked("old", "x", now)


async def test_subscribers_get_every_new_revocation(revocations: RevocationStore) -> None:
    exp = int(time.time()) + 600
    async with revocations.subscribe() as first, revocations.subscribe() as second:
        await revocations.revoke([Revocation("sid", "s1", exp), Revocation("jti", "j1", exp)])
        for feed in (first, second):
            got = [await asyncio.wait_for(anext(feed), 5) for _ in range(2)]
            assert got == [Revocation("sid", "s1", exp), Revocation("jti", "j1", exp)]


@pytest.mark.integration
async def test_redis_layout_is_the_one_the_authz_reads(
    redis: Redis, redis_url_and_prefix: RedisNamespace
) -> None:
    prefix = redis_url_and_prefix.prefix
    store = RedisRevocationStore(redis, prefix)
    listener = redis.pubsub()
    await listener.subscribe(f"{prefix}auth:revocations")
    exp = int(time.time()) + 600
    await store.revoke([Revocation("sid", "s1", exp)])
    assert await redis.zscore(f"{prefix}auth:revoked", "sid:s1") == exp
    message = None
    for _ in range(50):
        message = await listener.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message:
            break
    assert message is not None
    assert json.loads(message["data"]) == {"kind": "sid", "value": "s1", "exp": exp}
    await listener.aclose()
