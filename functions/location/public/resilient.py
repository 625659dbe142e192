"""One provider's HTTP calls made safe: timeout, bounded retries, a TTL cache, a breaker.

Every public-data adapter calls its provider through a `Source`: a timeout per attempt;
retries (with exponential backoff) only for what may pass (timeouts, transport errors, 429,
5xx, a provider's "temporary" codes); successful answers cached per request for the source's
TTL (weather for minutes, district rules for a day); and the kit's circuit breaker, so a dead
provider costs nothing while it is down.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from functions.kit.llm.breaker import CircuitBreaker
from functions.location.public.errors import (
    CircuitOpenError,
    MalformedResponseError,
    ProviderRejectedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    PublicDataError,
)

T = TypeVar("T")
Parse = Callable[[httpx.Response], T]


@dataclass(frozen=True, slots=True)
class Policy:
    timeout_s: float = 3.0
    retries: int = 2  # extra attempts after the first, for retryable failures only
    backoff_s: float = 0.2  # before retry n: backoff_s * 2**(n-1)
    cache_ttl_s: float = 300.0
    cache_size: int = 2048
    breaker_failures: int = 5
    breaker_open_s: float = 60.0


class TTLCache:
    """A bounded map whose entries expire `ttl_s` after they were put (oldest evicted)."""

    def __init__(self, ttl_s: float, size: int, clock: Callable[[], float]) -> None:
        self._ttl_s, self._size, self._clock = ttl_s, size, clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        found = self._entries.get(key)
        if found is None or found[0] <= self._clock():
            self._entries.pop(key, None)
            return None
        return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        if self._ttl_s <= 0:
            return
        self._entries[key] = (self._clock() + self._ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class Source:
    def __init__(
        self,
        provider: str,
        client: httpx.AsyncClient,
        policy: Policy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.provider = provider
        self.policy = policy
        self.breaker = CircuitBreaker(policy.breaker_failures, policy.breaker_open_s, clock)
        self._client = client
        self._cache = TTLCache(policy.cache_ttl_s, policy.cache_size, clock)
        self._sleep = sleep

    async def get(
        self,
        url: str,
        parse: Parse[T],
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cache_key: Hashable | None = None,
    ) -> T:
        """GET `url` and `parse` the answer (parse raises the provider's errors)."""
        if cache_key is not None:
            cached = self._cache.get(cache_key)
            if cached is not None:
                return cached  # type: ignore[no-any-return]
        if not self.breaker.allow():
            raise CircuitOpenError(self.provider, "circuit open after repeated failures")
        attempt = 0
        while True:
            try:
                value = parse(await self._send(url, params, headers))
            except (ProviderUnavailableError, MalformedResponseError) as exc:
                retry = isinstance(exc, ProviderUnavailableError)
                if not retry or attempt >= self.policy.retries:
                    self.breaker.failure()
                    raise
                attempt += 1
                await self._sleep(self.policy.backoff_s * 2 ** (attempt - 1))
                continue
            except PublicDataError:
                self.breaker.success()  # it answered: refusing us is not being down
                raise
            self.breaker.success()
            if cache_key is not None:
                self._cache.put(cache_key, value)
            return value

    async def _send(
        self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        try:
            response = await self._client.get(
                url, params=params, headers=headers, timeout=self.policy.timeout_s
            )
        except httpx.TimeoutException as exc:
            raise ProviderTimeoutError(self.provider, f"timed out: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError(self.provider, f"unreachable: {exc!r}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailableError(
                self.provider, f"HTTP {response.status_code}", str(response.status_code)
            )
        return response


def json_of(provider: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise MalformedResponseError(provider, f"not JSON: {response.text[:200]!r}") from exc


def refused(provider: str, response: httpx.Response, code: str | None, message: str) -> None:
    """A 4xx: the provider refused the request."""
    raise ProviderRejectedError(provider, f"HTTP {response.status_code}: {message}", code)
