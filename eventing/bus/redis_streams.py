"""The Redis event bus: per-job history streams, sharded router streams, Pub/Sub live delivery.

One Lua script per publish does, atomically (docs/adr/0006-event-streams.md):

1. refuse a job nobody registered (its meta hash holds owner and kind);
2. progress only: idempotency on (job, stage, status) — `HSETNX meta d:<stage␟status>`; a
   duplicate returns nil and writes nothing else; `done` is one mark whatever its status;
3. `HINCRBY meta seq 1` — the one per-job ordering for progress and tokens;
4. `XADD history MAXLEN ~ <history_maxlen> <seq>-0 …` (replay; ids are the seqs) and
   `XADD shard:<n> MAXLEN ~ <shard_maxlen> * job <id> …` (the router's input);
5. tokens: `APPEND text` (a rewrite: `SET text`) and `HSET meta tokseq`; progress: the state
   hash, replaced only by a higher seq and never once it holds `done` (so the state only moves
   forward and a straggler cannot un-finish a job);
6. `EXPIRE` on every per-job key: `ttl_s`, or `terminal_ttl_s` once the job is done.

The state is written here rather than by the router: it is then never behind the history a
client replays, and the result endpoint does not depend on the router being up (ADR 0006).
The router only moves shard entries to Pub/Sub; `live()` subscribes to every shard channel.
Every key a script or transaction touches shares the job's shard hash tag, so all of this runs
unchanged on Redis Cluster (eventing/bus/keys.py, ADR 0020).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from redis.exceptions import ResponseError

from eventing.bus.entries import (
    JobNotRegistered,
    JobOwnerConflict,
    appending,
    decode,
    dedupe_member,
    event_from_fields,
    is_trimmed,
    progress_fields,
    state_from_fields,
    token_fields,
)
from eventing.bus.keys import BusKeys
from eventing.bus.limits import BusLimits
from eventing.bus.port import (
    History,
    JobKind,
    JobState,
    Status,
    StreamEvent,
    TokenSnapshot,
)
from eventing.bus.redis_live import RedisLiveFeed
from eventing.errors import BusUnavailableError
from eventing.redis_clients import REDIS_ERRORS, RedisClient
from eventing.tracing import tracer

REGISTER = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner then
  if owner ~= ARGV[1] then return redis.error_reply('OWNER job belongs to another user') end
  return 0
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'kind', ARGV[2], 'seq', 0, 'pr', 0)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: meta, history, state, text, shard
# ARGV: mode ('p' progress | 't' token | 'r' rewrite: the text replaced), job id,
#       history maxlen, shard maxlen, ttl, terminal ttl, dedupe member ('' for tokens),
#       then the entry's field/value pairs
PUBLISH = """
local meta, history, state, text, shard = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local mode = ARGV[1]
local kind = redis.call('HGET', meta, 'kind')
if not kind then return redis.error_reply('NOJOB job is not registered or expired') end
local fields = {}
local given = {}
for i = 8, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  given[ARGV[i]] = ARGV[i + 1]
end
local pr = ''
if mode == 'p' then
  if redis.call('HSETNX', meta, 'd:' .. ARGV[7], 1) == 0 then return false end
  if given['pr'] then
    pr = given['pr']
    redis.call('HSET', meta, 'pr', pr)
  else
    pr = redis.call('HGET', meta, 'pr') or '0'
    fields[#fields + 1] = 'pr'
    fields[#fields + 1] = pr
  end
  if ARGV[7] == 'done' then redis.call('HSET', meta, 'terminal', 1) end
end
local seq = redis.call('HINCRBY', meta, 'seq', 1)
fields[#fields + 1] = 'seq'
fields[#fields + 1] = tostring(seq)
fields[#fields + 1] = 'kind'
fields[#fields + 1] = kind
redis.call('XADD', history, 'MAXLEN', '~', ARGV[3], seq .. '-0', unpack(fields))
redis.call('XADD', shard, 'MAXLEN', '~', ARGV[4], '*', 'job', ARGV[2], unpack(fields))
if mode == 't' or mode == 'r' then
  if mode == 't' then redis.call('APPEND', text, given['c'])
  else redis.call('SET', text, given['c']) end
  redis.call('HSET', meta, 'tokseq', seq)
else
  local current = redis.call('HMGET', state, 'seq', 'ev')
  if current[2] ~= 'done' and (not current[1] or tonumber(current[1]) < seq) then
    redis.call('DEL', state)
    redis.call('HSET', state, unpack(fields))
  end
end
local ttl = ARGV[5]
if redis.call('HEXISTS', meta, 'terminal') == 1 then ttl = ARGV[6] end
for _, key in ipairs({meta, history, state, text}) do redis.call('EXPIRE', key, ttl) end
return {seq, kind, pr}
"""


@contextlib.contextmanager
def _translated(job_id: str) -> Iterator[None]:
    """The adapter's boundary: redis-py's errors become eventing errors (the scripts' own
    refusals their bus errors, anything else `BusUnavailableError`), so no caller ever
    catches a library's exception, or `Exception`."""
    try:
        yield
    except ResponseError as exc:
        text = str(exc)
        if "NOJOB" in text:
            raise JobNotRegistered(f"job {job_id} is not registered (or expired)") from None
        if "OWNER" in text:
            raise JobOwnerConflict(f"job {job_id} belongs to another user") from None
        raise BusUnavailableError(f"event bus refused a command: {exc}") from exc
    except REDIS_ERRORS as exc:  # connection refused or lost, timeouts, full pool
        raise BusUnavailableError(f"event bus unavailable: {exc!r}") from exc


def _str(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisEventBus:
    def __init__(
        self,
        redis: RedisClient,
        *,
        prefix: str = "eco2:",
        limits: BusLimits | None = None,
        reconnect_delay_s: float = 0.5,
    ) -> None:
        self.limits = limits or BusLimits()
        self.keys = BusKeys(prefix, self.limits.shards)
        self._redis = redis
        self._register = redis.register_script(REGISTER)
        self._publish = redis.register_script(PUBLISH)
        self._reconnect_delay_s = reconnect_delay_s

    # ------------------------------------------------------------------ jobs

    async def register_job(self, job_id: str, owner: str, kind: JobKind) -> None:
        with _translated(job_id):
            await self._register(
                keys=[self.keys.meta(job_id)], args=[owner, kind, self.limits.ttl_s]
            )

    async def owner_of(self, job_id: str) -> str | None:
        with _translated(job_id):
            owner = await self._redis.hget(self.keys.meta(job_id), "owner")
        return None if owner is None else _str(owner)

    # ------------------------------------------------------------------ publish

    async def _append(
        self, job_id: str, mode: str, member: str, fields: Mapping[str, str]
    ) -> StreamEvent | None:
        limits = self.limits
        keys = [*self.keys.job_keys(job_id), self.keys.job_shard(job_id)]
        args: list[str | int] = [
            mode,
            job_id,
            limits.history_maxlen,
            limits.shard_maxlen,
            limits.ttl_s,
            limits.terminal_ttl_s,
            member,
        ]
        for name, value in fields.items():
            args += [name, value]
        with _translated(job_id):
            reply = await self._publish(keys=keys, args=args)
        if reply is None:
            return None
        seq, kind, progress = reply
        entry = {**fields, "seq": str(seq), "kind": _str(kind)}
        if mode == "p":
            entry["pr"] = _str(progress)
        return event_from_fields(job_id, entry)

    async def publish_progress(
        self,
        job_id: str,
        stage: str,
        status: Status,
        *,
        progress: int | None = None,
        message: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> StreamEvent | None:
        fields = progress_fields(stage, status, progress=progress, message=message, result=result)
        if tracer() is None:
            return await self._append(job_id, "p", dedupe_member(stage, status), fields)
        with appending(job_id, stage, status, fields):
            return await self._append(job_id, "p", dedupe_member(stage, status), fields)

    async def publish_token(self, job_id: str, content: str, *, node: str) -> StreamEvent:
        return await self._text(job_id, content, node, rewrite=False)

    async def publish_rewrite(self, job_id: str, text: str, *, node: str) -> StreamEvent:
        return await self._text(job_id, text, node, rewrite=True)

    async def _text(self, job_id: str, content: str, node: str, *, rewrite: bool) -> StreamEvent:
        """A token appends to the snapshot's text (mode `t`), a rewrite replaces it (`r`)."""
        fields = token_fields(content, node, rewrite=rewrite)
        event = await self._append(job_id, "r" if rewrite else "t", "", fields)
        assert event is not None  # tokens and rewrites are never deduplicated
        return event

    # ------------------------------------------------------------------ read

    async def read_since(self, job_id: str, after_seq: int, limit: int = 1000) -> History:
        with _translated(job_id):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xrange(self.keys.history(job_id), min=f"{after_seq + 1}-0", count=limit)
                pipe.hget(self.keys.meta(job_id), "seq")
                entries, last = await pipe.execute()
        events = [event_from_fields(job_id, decode(fields)) for _, fields in entries]
        return History(
            events=events,
            trimmed=is_trimmed(after_seq, events[0].seq if events else None, int(last or 0)),
        )

    async def latest_state(self, job_id: str) -> JobState | None:
        with _translated(job_id):
            fields = await self._redis.hgetall(self.keys.state(job_id))
        return state_from_fields(job_id, decode(fields)) if fields else None

    async def token_snapshot(self, job_id: str) -> TokenSnapshot | None:
        with _translated(job_id):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(self.keys.text(job_id))
                pipe.hmget(self.keys.meta(job_id), ["tokseq", "terminal"])
                text, (last_seq, terminal) = await pipe.execute()
        if last_seq is None:
            return None
        accumulated = text.decode() if isinstance(text, bytes) else (text or "")
        return TokenSnapshot(
            accumulated=accumulated,
            last_seq=int(last_seq),
            completed=terminal is not None,
        )

    # ------------------------------------------------------------------ live

    async def close(self) -> None:
        """Nothing of its own to close: the Redis client belongs to the composition root."""

    def live(self) -> AsyncIterator[StreamEvent]:
        """Every shard's events as the router publishes them (eventing/bus/redis_live.py).

        Called inside a running loop, the subscription starts at once (not at the first
        iteration), so a caller that reads history right after `live()` misses nothing.
        Delivery is at least once and in order per job *per router consumer*: after a router
        crash, reclaimed entries arrive late, and two router replicas may interleave a job's
        events. A reader keeps the highest seq it delivered per job, drops lower ones and fills
        a gap (seq > last + 1) from `read_since`. A lost Pub/Sub connection is re-established
        there; events published meanwhile are only in the history (the same gap rule finds them).
        """
        return RedisLiveFeed(self._redis, self.keys.all_channels(), self._reconnect_delay_s)
