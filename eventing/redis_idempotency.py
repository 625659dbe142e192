"""Processed-event store on Redis: SET NX with a lease, then a long-lived `done` mark.

Claim and complete are on every delivery's path, so they are one plain command each, and
concurrent ones share round trips: while one batch is on the wire, new commands queue up and
leave together as the next pipeline (one write, one read). Alone, a command leaves at once.
The claim is `SET key running:<holder> NX PX lease GET` (Redis >= 7.0), as atomic as the Lua
script it replaces, which is still used on an older Redis. The batches go straight through a pooled
connection's send/read; redis-py's per-command client path costs more than Redis itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ResponseError

from eventing.errors import TransientError
from eventing.idempotency import DONE_TTL_S, Claim, running
from eventing.redis_clients import REDIS_ERRORS, RedisClient, is_cluster

log = logging.getLogger(__name__)
LINGER_S = 0.05  # how long an idle batch sender keeps its pooled connection
_DONE = "done"  # a done mark is "done" followed by the kept result, if any

# Claim atomically: a live `done` or `running` entry wins; otherwise take the lease.
# Only used where SET ... NX GET is not available (Redis < 7.0).
_CLAIM = """
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return 'claimed'
"""
# Renew only the holder's own running lease; a `done` mark keeps its own TTL, and a lease
# that lapsed and was claimed again is the new holder's.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[2] then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0
"""
# Release only the holder's own lease; never erase a `done` mark or another holder's lease.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# One queued command: its arguments and who waits for the reply.
_Op = tuple[tuple[str | int, ...], "asyncio.Future[Any]"]


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _unavailable(exc: BaseException) -> TransientError:
    return TransientError(f"processed-event store unavailable: {exc}")


class RedisProcessedStore:
    def __init__(
        self, redis: RedisClient, prefix: str = "eco2:processed:", done_ttl_s: int = DONE_TTL_S
    ):
        self._redis = redis
        self._cluster = is_cluster(redis)
        self._prefix = prefix
        self._done_ttl_s = done_ttl_s
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._set_get = True  # SET NX GET works; False once Redis said it does not (< 7.0)
        self._queue: list[_Op] = []
        self._queue_loop: asyncio.AbstractEventLoop | None = None
        self._sender: asyncio.Task[None] | None = None
        self._idle: asyncio.Future[bool] | None = None  # set while the sender lingers

    async def claim(self, key: str, lease_s: float, holder: str) -> Claim:
        name, lease_ms, value = self._prefix + key, int(lease_s * 1000), running(holder)
        if self._set_get:
            try:
                previous = await self._command("SET", name, value, "NX", "PX", lease_ms, "GET")
            except ResponseError as exc:
                if "syntax" not in str(exc).lower():
                    raise _unavailable(exc) from exc
                log.info("Redis has no SET NX GET (< 7.0); claiming with a Lua script")
                self._set_get = False
            except REDIS_ERRORS as exc:
                raise _unavailable(exc) from exc
            else:
                return self._claim_of(_text(previous))
        try:
            found = _text(await self._claim(keys=[name], args=[lease_ms, value]))
        except REDIS_ERRORS as exc:
            raise _unavailable(exc) from exc
        return self._claim_of(None if found == "claimed" else found)

    @staticmethod
    def _claim_of(previous: str | None) -> Claim:
        """What the entry held before this claim: nothing means the claim is ours."""
        if previous is None:
            return Claim.CLAIMED
        return Claim.DONE if previous.startswith(_DONE) else Claim.BUSY

    async def complete(self, key: str, result: str = "") -> None:
        try:
            await self._command("SET", self._prefix + key, _DONE + result, "EX", self._done_ttl_s)
        except REDIS_ERRORS as exc:
            raise _unavailable(exc) from exc

    async def result(self, key: str) -> str | None:
        try:
            value = _text(await self._redis.get(self._prefix + key))
        except REDIS_ERRORS as exc:
            raise _unavailable(exc) from exc
        if value is None or not value.startswith(_DONE):
            return None
        return value[len(_DONE) :]

    async def renew(self, key: str, holder: str, lease_s: float) -> bool:
        # Through the batches, like claims: a renewal must not queue for a pooled connection
        # behind a busy process's other Redis work — a late one stops its handler (dispatch).
        try:
            renewed = await self._command(
                "EVAL", _RENEW, 1, self._prefix + key, int(lease_s * 1000), running(holder)
            )
        except REDIS_ERRORS as exc:
            raise _unavailable(exc) from exc
        return bool(renewed)

    async def release(self, key: str, holder: str) -> None:
        try:
            await self._release(keys=[self._prefix + key], args=[running(holder)])
        except REDIS_ERRORS as exc:
            raise _unavailable(exc) from exc

    # -------------------------------------------------------------- batching

    def _command(self, *args: str | int) -> asyncio.Future[Any]:
        """Queue a command for the next round trip; the future gets its reply or error.
        On Redis Cluster each command goes by itself to its key's primary: the batches share
        one pooled connection, which a cluster client does not have (one pool per node)."""
        if self._cluster:  # redis-py parses SET's reply as the old value only if told `get`
            options = {"get": True} if args[-1] == "GET" else {}
            return asyncio.ensure_future(self._redis.execute_command(*args, **options))
        loop = asyncio.get_running_loop()
        if self._queue_loop is not loop:  # the store outlived a loop: its queue died with it
            self._queue, self._queue_loop, self._sender, self._idle = [], loop, None, None
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((args, future))
        if self._sender is None:
            self._sender = loop.create_task(self._send_queued())
        elif self._idle is not None and not self._idle.done():
            self._idle.set_result(True)  # the sender is lingering: wake it
        return future

    async def _send_queued(self) -> None:
        """Send what is queued, one batch in flight, while commands keep coming.

        The pooled connection is kept for LINGER_S after the queue empties, so a steady
        trickle of commands (one delivery at a time) does not check it out and back each time.
        """
        assert isinstance(self._redis, Redis)  # one server: see `_command`
        pool = self._redis.connection_pool
        try:
            connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        except BaseException as exc:  # Redis unreachable: everyone queued gets the error
            self._sender = None
            self._fail(self._take(), exc)
            if not isinstance(exc, Exception):
                raise
            return
        try:
            while (batch := self._take()) or await self._more_within(LINGER_S):
                if not batch:
                    continue
                try:
                    replies = await connection.retry.call_with_retry(
                        lambda: self._round_trip(connection, batch),
                        lambda _: connection.disconnect(),
                    )
                except BaseException as exc:
                    await connection.disconnect()  # what is left on the wire is unreadable
                    self._fail(batch, exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), reply in zip(batch, replies, strict=True):
                    if future.done():  # its waiter was cancelled meanwhile
                        continue
                    if isinstance(reply, Exception):
                        future.set_exception(reply)
                    else:
                        future.set_result(reply)
        finally:
            self._sender = self._idle = None
            await pool.release(connection)

    async def _more_within(self, seconds: float) -> bool:
        """Wait for a new command, at most `seconds`; False when none came."""
        loop = asyncio.get_running_loop()
        idle = self._idle = loop.create_future()

        def expire() -> None:
            if not idle.done():
                idle.set_result(False)

        timer = loop.call_later(seconds, expire)
        try:
            came: bool = await idle
        finally:
            timer.cancel()
            self._idle = None
        return came

    def _take(self) -> list[_Op]:
        batch = [op for op in self._queue if not op[1].done()]  # a cancelled waiter: not sent
        self._queue = []
        return batch

    @staticmethod
    def _fail(batch: list[_Op], exc: BaseException) -> None:
        for _, future in batch:
            if future.done():
                continue
            if isinstance(exc, Exception):
                future.set_exception(exc)
            else:
                future.cancel()

    @staticmethod
    async def _round_trip(connection: AbstractConnection, batch: list[_Op]) -> list[Any]:
        """Write the whole batch at once, then read its replies in order."""
        await connection.send_packed_command(connection.pack_commands(a for a, _ in batch))
        replies: list[Any] = []
        for _ in batch:
            try:
                replies.append(await connection.read_response())
            except ResponseError as exc:  # an error reply: the connection is still in step
                replies.append(exc)
        return replies
