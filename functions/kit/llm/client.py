"""The LLM every domain uses: allow-list, provider choice, timeouts, retries, circuit
breakers, fallback and usage records around the provider adapters.

Provider rule (`provider_for`): a model named `offline*` is the offline provider, `gemini*`
is Gemini, and every other name is OpenAI's Responses API, at api.openai.com or at any
OpenAI-compatible server configured as `ECO2_OPENAI_BASE_URL`.

Per provider: up to `1 + retries` attempts, each under `timeout_s`, with a jittered
exponential backoff between them, for transient errors and malformed answers. A breaker per
provider stops calling one that failed `breaker_failures` times in a row. When a remote
provider fails for good (or its circuit is open) the other remote provider is tried with its
fallback model. Every attempt is recorded as usage, failures and short-circuits included.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from functions.kit.llm.breaker import CircuitBreaker
from functions.kit.llm.errors import (
    CircuitOpen,
    LLMError,
    LLMOutputError,
    LLMUnavailable,
    UnknownModel,
)
from functions.kit.llm.ledger import Price, RunCost, cost_usd, load_prices
from functions.kit.llm.port import (
    ImageProvider,
    ImageRequest,
    ImageResult,
    LLMProvider,
    LLMRequest,
    LLMResult,
    StreamingProvider,
    Usage,
)
from functions.kit.llm.usage import MemoryUsageRecorder, UsageRecord, UsageRecorder, record_safely

R = TypeVar("R", bound=Any)  # a provider's result: LLMResult or ImageResult (has .usage)
OFFLINE, OPENAI, GEMINI = "offline", "openai", "gemini"
FALLBACK_OF = {OPENAI: GEMINI, GEMINI: OPENAI}  # the offline provider never stands in


def provider_for(model: str) -> str:
    """The provider serving `model`, from its name alone (see the module docstring)."""
    name = model.strip().lower()
    if name.startswith(OFFLINE):
        return OFFLINE
    if name.startswith(GEMINI):
        return GEMINI
    return OPENAI


class LLMClient:
    def __init__(
        self,
        providers: Mapping[str, LLMProvider],
        *,
        allowed_models: Iterable[str],
        default_model: str,
        timeout_s: float = 30.0,
        retries: int = 2,
        breaker_failures: int = 5,
        breaker_open_s: float = 60.0,
        fallback: bool = True,
        fallback_models: Mapping[str, str] | None = None,
        usage: UsageRecorder | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff_s: float = 0.25,
        prices: Mapping[str, Price] | None = None,
    ) -> None:
        self._prices = prices if prices is not None else load_prices()
        self._providers = dict(providers)
        self._allowed = tuple(dict.fromkeys(allowed_models))
        self._default = default_model
        self._timeout_s = timeout_s
        self._retries = max(0, retries)
        self._fallback = fallback
        self._fallback_models = dict(fallback_models or {})
        self._usage: UsageRecorder = usage if usage is not None else MemoryUsageRecorder()
        self._backoff_s = backoff_s
        self._breakers = {
            name: CircuitBreaker(breaker_failures, breaker_open_s, clock) for name in providers
        }

    def breaker(self, provider: str) -> CircuitBreaker:
        return self._breakers[provider]

    def check_model(self, model: str | None) -> str:
        chosen = (model or self._default).strip()
        if chosen not in self._allowed:
            raise UnknownModel(f"model {chosen!r} is not allowed; use one of {list(self._allowed)}")
        if not self._chain(chosen):
            raise UnknownModel(f"model {chosen!r} is allowed but its provider is not configured")
        return chosen

    async def generate(self, request: LLMRequest) -> LLMResult:
        model = self.check_model(request.model)
        first = (provider_for(model), model)
        failures: list[LLMError] = []
        for name, candidate in self._chain(model):
            try:
                result = await self._with_retries(name, candidate, request)
            except LLMError as exc:
                failures.append(exc)
                continue
            fell_back = (name, candidate) != first
            return replace(result, fallback_from=model if fell_back else None)
        raise _most_retryable(failures)

    async def stream(self, request: LLMRequest, field: str = "text") -> AsyncIterator[str]:
        """Deltas of the output's `field`. A streaming provider is called under its breaker,
        each chunk within the timeout, usage recorded from its terminal chunk; a transient
        failure before the first delta is tried again (`retries`, with backoff), none after
        text has gone out (the reader has seen it), and no fallback. Other providers answer
        through `generate` (retries, fallback) as one delta."""
        model = self.check_model(request.model)
        name = provider_for(model)
        provider = self._providers.get(name)
        if not isinstance(provider, StreamingProvider):
            result = await self.generate(request)
            yield str(getattr(result.output, field))
            return
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(self._backoff(attempt))
            started = False
            try:
                async for text in self._stream_once(provider, name, model, request, field):
                    started = True
                    yield text
                return
            except CircuitOpen:
                raise
            except LLMUnavailable:
                if started or attempt == self._retries:
                    raise

    async def _stream_once(
        self, provider: StreamingProvider, name: str, model: str, request: LLMRequest, field: str
    ) -> AsyncIterator[str]:
        breaker, at, started = self._breakers[name], datetime.now(UTC), time.perf_counter()
        if not breaker.allow():
            error: LLMError = CircuitOpen(f"{name}: circuit open after repeated failures")
            await self._record(request, name, model, at=at, latency_s=0.0, usage=None, error=error)
            raise error
        usage: Usage | None = None
        chunks = provider.stream(request, model, field)
        try:
            while True:
                try:
                    async with asyncio.timeout(self._timeout_s):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                usage = chunk.usage or usage
                if chunk.text:
                    yield chunk.text
        except (TimeoutError, LLMError) as exc:
            error = _stream_error(exc, name, model, request, self._timeout_s)
            if isinstance(error, LLMUnavailable):
                breaker.failure()
            else:
                breaker.success()  # it answered (badly): the provider is up
            elapsed = time.perf_counter() - started
            await self._record(request, name, model, at=at, latency_s=elapsed, usage=None,
                               error=error)  # fmt: skip
            raise error from None
        breaker.success()
        elapsed = time.perf_counter() - started
        await self._record(request, name, model, at=at, latency_s=elapsed, usage=usage,
                           error=None)  # fmt: skip

    def _chain(self, model: str) -> list[tuple[str, str]]:
        """(provider, model) to try in order: the model's own provider, then the fallback."""
        primary = provider_for(model)
        chain = [(primary, model)] if primary in self._providers else []
        other = FALLBACK_OF.get(primary)
        if self._fallback and other in self._providers and other in self._fallback_models:
            chain.append((other, self._fallback_models[other]))
        return chain

    async def _with_retries(self, name: str, model: str, request: LLMRequest) -> LLMResult:
        last: LLMError | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(self._backoff(attempt))
            try:
                return await self._attempt(name, model, request)
            except CircuitOpen:
                raise
            except (LLMUnavailable, LLMOutputError) as exc:
                last = exc
        assert last is not None
        raise last

    def _backoff(self, attempt: int) -> float:
        return float(self._backoff_s * 2 ** (attempt - 1) * (0.5 + random.random()))

    async def _attempt(self, name: str, model: str, request: LLMRequest) -> LLMResult:
        provider = self._providers[name]
        result: LLMResult = await self._guarded(
            name, model, request, lambda: provider.generate(request, model)
        )
        return result

    async def draw(self, request: ImageRequest) -> ImageResult:
        """A picture from the image model's provider, under its breaker and the timeout,
        recorded like any call; no retry or fallback (a second picture costs a second fee)."""
        name = provider_for(request.model)
        provider = self._providers.get(name)
        if not isinstance(provider, ImageProvider):
            raise UnknownModel(f"no provider configured here draws with {request.model!r}")
        return await self._guarded(name, request.model, request, lambda: provider.draw(request))

    async def settle(self, job_id: str) -> RunCost:
        return await self._usage.settle(job_id)

    async def _guarded(
        self, name: str, model: str, request: LLMRequest | ImageRequest,
        call: Callable[[], Awaitable[R]],
    ) -> R:  # fmt: skip
        """One call to one provider, under the breaker and the timeout; always recorded."""
        breaker, at = self._breakers[name], datetime.now(UTC)
        if not breaker.allow():
            error: LLMError = CircuitOpen(f"{name}: circuit open after repeated failures")
            await self._record(request, name, model, at=at, latency_s=0.0, usage=None, error=error)
            raise error
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await call()
        except TimeoutError:
            breaker.failure()
            error = LLMUnavailable(
                f"{name} {model} {request.task}: no answer in {self._timeout_s}s"
            )
        except LLMUnavailable as exc:
            breaker.failure()
            error = exc
        except LLMError as exc:
            breaker.success()  # it answered (badly, or refused us): the provider is up
            error = exc
        else:
            breaker.success()
            elapsed = time.perf_counter() - started
            if isinstance(result, LLMResult):
                result = replace(result, latency_s=elapsed)
            await self._record(request, name, model, at=at, latency_s=elapsed,
                               usage=result.usage, error=None)  # fmt: skip
            return result
        elapsed = time.perf_counter() - started
        await self._record(request, name, model, at=at, latency_s=elapsed, usage=None, error=error)
        raise error

    async def _record(
        self,
        request: LLMRequest | ImageRequest,
        provider: str,
        model: str,
        *,
        at: datetime,
        latency_s: float,
        usage: Usage | None,
        error: LLMError | None,
    ) -> None:
        tokens_in, tokens_out = (usage.input_tokens, usage.output_tokens) if usage else (0, 0)
        searches = usage.searches if usage else 0
        record = UsageRecord(
            at=at,
            job_id=request.job_id,
            task=request.task,
            provider=provider,
            model=model,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            latency_s=latency_s,
            ok=error is None,
            error=f"{error.code}: {error.detail}" if error else None,
            searches=searches,
            cost_usd=cost_usd(model, tokens_in, tokens_out, searches, self._prices),
        )
        await record_safely(self._usage, record)


def _stream_error(
    exc: BaseException, name: str, model: str, request: LLMRequest, timeout_s: float
) -> LLMError:
    if isinstance(exc, LLMError):
        return exc
    return LLMUnavailable(f"{name} {model} {request.task}: no chunk in {timeout_s}s")


def _most_retryable(failures: list[LLMError]) -> LLMError:
    """What to raise when every provider failed: a retryable error if there was one, so the
    broker tries the stage again rather than dead-lettering it."""
    for kind in (LLMUnavailable, LLMOutputError):
        for exc in failures:
            if isinstance(exc, kind):
                return exc
    return failures[-1]
