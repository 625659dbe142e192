"""A Redis hot layer in front of a durable checkpoint saver (the official PostgreSQL one).

Why: every step of a run reads the thread's latest checkpoint and writes the next one; the
hot layer answers those reads from Redis while PostgreSQL stays the truth. Debian's Redis
has no RedisJSON, so this uses plain hashes:

- one hash per (thread, namespace), `{prefix}chat:ckpt:{<thread>}:<ns>`, holding the
  namespace's *latest* checkpoint (`id`, `parent`, checkpoint, metadata) and its pending
  writes (`w:<path>:<task>:<idx>` fields); a set `{prefix}chat:ckpt:{<thread>}` names the
  namespaces (for deletion). The `{thread}` hash tag keeps a thread's keys in one slot.
- writes go to the durable saver first, then to Redis (Lua: a checkpoint never replaces a
  newer one, writes only join the checkpoint they belong to; writes for a checkpoint that
  is not hot leave a `:missed` marker, so a refill read before them cannot make that
  checkpoint hot without them);
- reads of the latest (or of the cached id) are served from Redis; anything else, a miss or
  a Redis error reads through to the durable saver, and a miss of the latest refills the hot
  entry (unless it has pending writes: a step interrupted mid-way is read cold);
- hot entries expire `ttl_s` after their last use: an idle conversation costs no memory and
  its next message reads through. Pruning keeps the latest, which is what the hot entry
  holds, so `keep_latest` never touches it; `delete` and `adelete_thread` drop it.

If Redis fails after the durable write, the hot entry is dropped; if even that fails, the
write raises `CheckpointStoreUnavailable` (the run stops rather than continue on a stale
hot entry). Durable errors (psycopg) become the same error.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)

from eventing.redis_clients import REDIS_ERRORS
from functions.chat.errors import CheckpointStoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
WRITE = b"w:"

# KEYS: entry, thread set, missed writes. ARGV: id, ttl ms, ns, field, value, ...
_PUT = """
local cur = redis.call('HGET', KEYS[1], 'id')
if cur and cur > ARGV[1] then return 0 end
if redis.call('GET', KEYS[3]) == ARGV[1] then return 0 end
if cur ~= ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""
# KEYS: entry, thread set, missed writes. ARGV: id, ttl ms, upsert (1/0), field, value, ...
_WRITES = """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
  return 0
end
for i = 4, #ARGV, 2 do
  if ARGV[3] == '1' then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  else redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""


def durable_errors() -> tuple[type[Exception], ...]:
    """The durable saver's library errors (psycopg, its pool), translated at this boundary."""
    import psycopg  # noqa: PLC0415 - real mode only
    from psycopg_pool import PoolTimeout  # noqa: PLC0415

    return (psycopg.Error, PoolTimeout)


class HotCheckpointSaver(BaseCheckpointSaver[Any]):
    def __init__(
        self, durable: BaseCheckpointSaver[Any], redis: Any, prefix: str, ttl_s: float
    ) -> None:
        super().__init__(serde=durable.serde)
        self.durable = durable
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._put = redis.register_script(_PUT)
        self._writes = redis.register_script(_WRITES)
        self._errors = durable_errors()

    def entry_key(self, thread_id: str, ns: str) -> str:
        return f"{self._prefix}chat:ckpt:{{{thread_id}}}:{ns}"

    def thread_key(self, thread_id: str) -> str:
        return f"{self._prefix}chat:ckpt:{{{thread_id}}}"

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.durable.get_next_version(current, channel)

    async def _safe(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except self._errors as exc:
            log.warning("checkpoint store: %s", exc)
            raise CheckpointStoreUnavailable("the checkpoint store is unavailable") from exc

    # --- reads ------------------------------------------------------------------------
    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id = str(config["configurable"]["thread_id"])
        ns = str(config["configurable"].get("checkpoint_ns", ""))
        wanted = get_checkpoint_id(config)
        hot = await self._read_hot(thread_id, ns)
        if hot is not None and (wanted is None or hot.config["configurable"]["checkpoint_id"]
                                == wanted):  # fmt: skip
            return hot
        found = await self._safe(lambda: self.durable.aget_tuple(config))
        if found is not None and wanted is None and not found.pending_writes:
            # mid-step entries stay cold (rare); a failed refill leaves the entry absent
            await self._fill(thread_id, ns, found, strict=False)
        return found

    async def _read_hot(self, thread_id: str, ns: str) -> CheckpointTuple | None:
        key = self.entry_key(thread_id, ns)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(key).pexpire(key, self._ttl_ms)
                pipe.pexpire(self.thread_key(thread_id), self._ttl_ms)
                fields, _, _ = await pipe.execute()
        except REDIS_ERRORS as exc:
            log.warning("checkpoint hot layer unreadable, reading through: %s", exc)
            return None
        return self._decode(thread_id, ns, fields) if fields else None

    def _decode(self, thread_id: str, ns: str, fields: dict[bytes, bytes]) -> CheckpointTuple:
        def load(name: bytes) -> Any:
            return self.serde.loads_typed(_split(fields[name]))

        def config(checkpoint_id: str) -> RunnableConfig:
            return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns,
                                     "checkpoint_id": checkpoint_id}}  # fmt: skip

        writes = sorted((load(k) for k in fields if k.startswith(WRITE)), key=lambda w: w[:3])
        parent = fields.get(b"parent", b"").decode()
        return CheckpointTuple(
            config=config(fields[b"id"].decode()),
            checkpoint=load(b"cp"),
            metadata=load(b"md"),
            parent_config=config(parent) if parent else None,
            pending_writes=[(task_id, channel, value) for _, task_id, _, channel, value in writes],
        )

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """History is the durable saver's: the hot layer holds only the latest."""
        try:
            async for found in self.durable.alist(config, filter=filter, before=before,
                                                  limit=limit):  # fmt: skip
                yield found
        except self._errors as exc:
            raise CheckpointStoreUnavailable("the checkpoint store is unavailable") from exc

    # --- writes -----------------------------------------------------------------------
    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        stored = await self._safe(
            lambda: self.durable.aput(config, checkpoint, metadata, new_versions)
        )
        parent = config["configurable"].get("checkpoint_id")
        hot = CheckpointTuple(
            config=stored, checkpoint=checkpoint,
            metadata=get_serializable_checkpoint_metadata(config, metadata),
            parent_config={"configurable": {"checkpoint_id": parent}} if parent else None,
            pending_writes=[],
        )  # fmt: skip
        await self._fill(str(stored["configurable"]["thread_id"]),
                         str(stored["configurable"].get("checkpoint_ns", "")), hot)  # fmt: skip
        return stored

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._safe(lambda: self.durable.aput_writes(config, writes, task_id, task_path))
        thread_id = str(config["configurable"]["thread_id"])
        ns = str(config["configurable"].get("checkpoint_ns", ""))
        upsert = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        fields: list[bytes] = []
        for n, (channel, value) in enumerate(writes):
            fields += self._write_field(task_path, task_id, WRITES_IDX_MAP.get(channel, n),
                                        channel, value)  # fmt: skip
        args = [config["configurable"]["checkpoint_id"], self._ttl_ms, int(upsert), *fields]
        await self._hot_write(thread_id, ns, self._writes, args)

    def _write_field(
        self, path: str, task_id: str, idx: int, channel: str, value: Any
    ) -> list[bytes]:
        name = f"w:{path}:{task_id}:{idx}".encode()
        return [name, _join(self.serde.dumps_typed((path, task_id, idx, channel, value)))]

    async def _fill(
        self, thread_id: str, ns: str, found: CheckpointTuple, *, strict: bool = True
    ) -> None:
        """The hot entry becomes `found` unless it already holds a newer checkpoint."""
        parent = found.parent_config["configurable"]["checkpoint_id"] if found.parent_config \
            else ""  # fmt: skip
        checkpoint_id = str(found.config["configurable"]["checkpoint_id"])
        fields: list[Any] = [b"id", checkpoint_id, b"parent", parent or "",
                             b"cp", _join(self.serde.dumps_typed(found.checkpoint)),
                             b"md", _join(self.serde.dumps_typed(found.metadata))]  # fmt: skip
        args = [checkpoint_id, self._ttl_ms, ns, *fields]
        await self._hot_write(thread_id, ns, self._put, args, strict=strict)

    async def _hot_write(
        self, thread_id: str, ns: str, script: Any, args: list[Any], *, strict: bool = True
    ) -> None:
        """Run a script; if it fails after a durable write (`strict`), the entry may be
        stale, so it is dropped (and if that fails too, the write raises)."""
        entry = self.entry_key(thread_id, ns)
        keys = [entry, self.thread_key(thread_id), entry + ":missed"]
        try:
            await script(keys=keys, args=args)
        except REDIS_ERRORS as exc:
            log.warning("checkpoint hot layer not written: %s", exc)
            if strict:
                await self._drop(thread_id, [ns])

    async def _drop(self, thread_id: str, namespaces: Sequence[str] | None = None) -> None:
        try:
            if namespaces is None:
                found = await self._redis.smembers(self.thread_key(thread_id))
                namespaces = [n.decode() for n in found]
            keys = [self.entry_key(thread_id, ns) for ns in namespaces]
            missed = [key + ":missed" for key in keys]
            await self._redis.delete(*keys, *missed, self.thread_key(thread_id))
        except REDIS_ERRORS as exc:
            raise CheckpointStoreUnavailable("the checkpoint hot layer is unavailable") from exc

    # --- forgetting -------------------------------------------------------------------
    async def adelete_thread(self, thread_id: str) -> None:
        await self._drop(thread_id)
        await self._safe(lambda: self.durable.adelete_thread(thread_id))
        await self._drop(thread_id)  # a read that refilled it meanwhile

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`keep_latest` keeps what the hot entry holds; `delete` drops it as well."""
        await self._safe(lambda: self.durable.aprune(thread_ids, strategy=strategy))
        if strategy == "delete":
            for thread_id in thread_ids:
                await self._drop(thread_id)


def _join(typed: tuple[str, bytes]) -> bytes:
    return typed[0].encode() + b"|" + typed[1]


def _split(raw: bytes) -> tuple[str, bytes]:
    kind, _, data = raw.partition(b"|")
    return kind.decode(), data
