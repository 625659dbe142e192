"""Session families in Redis; one Lua script makes a rotation atomic across replicas.

Keys (prefix = `ECO2_REDIS_PREFIX`): `{prefix}auth:refresh:{<sid>}:<jti>` (hash: sid, user_id,
provider, exp, and once rotated: rotated_at, successor) and `{prefix}auth:family:{<sid>}`
(hash: exp, revoked). Each expires with the latest token it covers. The family's id is the
hash tag of all of them, so the rotation script's keys share one Redis Cluster slot (ADR 0020).
"""

from __future__ import annotations

from typing import Any

from eventing.redis_clients import REDIS_ERRORS
from functions.auth.model import (
    AuthStoreUnavailableError,
    Outcome,
    RefreshRecord,
    Rotation,
    Successor,
)

# KEYS: old token, family, new token. ARGV: sid, now, grace_s, successor json, new exp.
ROTATE = """
local rec = redis.call('HMGET', KEYS[1], 'sid', 'exp', 'rotated_at', 'successor', 'user_id',
                       'provider')
local fam = redis.call('HMGET', KEYS[2], 'exp', 'revoked')
local now = tonumber(ARGV[2])
if not rec[1] or rec[1] ~= ARGV[1] or not fam[1] or tonumber(rec[2]) < now then
  return {'unknown'}
end
if fam[2] == '1' then return {'revoked', '', fam[1], rec[5], rec[6]} end
if not rec[3] then
  redis.call('HSET', KEYS[1], 'rotated_at', ARGV[2], 'successor', ARGV[4])
  redis.call('HSET', KEYS[3], 'sid', ARGV[1], 'exp', ARGV[5], 'user_id', rec[5],
             'provider', rec[6])
  redis.call('EXPIREAT', KEYS[3], ARGV[5])
  local exp = math.max(tonumber(fam[1]), tonumber(ARGV[5]))
  redis.call('HSET', KEYS[2], 'exp', string.format('%d', exp))
  redis.call('EXPIREAT', KEYS[2], exp)
  return {'rotated', ARGV[4], string.format('%d', exp), rec[5], rec[6]}
end
if now - tonumber(rec[3]) <= tonumber(ARGV[3]) then
  return {'replayed', rec[4], fam[1], rec[5], rec[6]}
end
redis.call('HSET', KEYS[2], 'revoked', '1')
return {'reused', '', fam[1], rec[5], rec[6]}
"""
# KEYS: family. Revokes it only if it exists (never creates a key without expiry).
REVOKE = """
local exp = redis.call('HGET', KEYS[1], 'exp')
if not exp then return false end
redis.call('HSET', KEYS[1], 'revoked', '1')
return exp
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisSessionStore:
    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._rotate = redis.register_script(ROTATE)
        self._revoke = redis.register_script(REVOKE)

    def token_key(self, sid: str, jti: str) -> str:
        return f"{self._prefix}auth:refresh:{{{sid}}}:{jti}"

    def family_key(self, sid: str) -> str:
        return f"{self._prefix}auth:family:{{{sid}}}"

    async def open(self, record: RefreshRecord) -> None:
        token, family = self.token_key(record.sid, record.jti), self.family_key(record.sid)
        fields = {"sid": record.sid, "exp": record.exp, "user_id": record.user_id}
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(token, mapping={**fields, "provider": record.provider})
                pipe.expireat(token, record.exp)
                pipe.hset(family, mapping={"exp": record.exp, "revoked": 0})
                pipe.expireat(family, record.exp)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"session store unavailable: {exc}") from exc

    async def rotate(
        self, jti: str, sid: str, successor: Successor, now: float, grace_s: float
    ) -> Rotation:
        keys = [
            self.token_key(sid, jti),
            self.family_key(sid),
            self.token_key(sid, successor.refresh_jti),
        ]
        args = [sid, repr(now), repr(grace_s), successor.to_json(), successor.refresh_exp]
        try:
            reply = [_text(v) for v in await self._rotate(keys=keys, args=args)]
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"session store unavailable: {exc}") from exc
        outcome = Outcome(reply[0])
        if outcome is Outcome.UNKNOWN:
            return Rotation(outcome)
        nxt = Successor.from_json(reply[1]) if reply[1] else None
        return Rotation(outcome, nxt, int(float(reply[2])), reply[3], reply[4])

    async def revoke_family(self, sid: str) -> int | None:
        try:
            exp = await self._revoke(keys=[self.family_key(sid)])
        except REDIS_ERRORS as exc:
            raise AuthStoreUnavailableError(f"session store unavailable: {exc}") from exc
        return None if exp is None else int(float(_text(exp)))
