"""Container providers: the LLM client and its usage recorder, built from settings.

The offline provider is always there (the embedded default, and what load tests time). A
remote provider exists only when it is configured, by key or by base URL (a compatible
server or a test fake), and its SDK is imported only then.
"""

from __future__ import annotations

from functions.kit.container import Container
from functions.kit.llm.client import GEMINI, OFFLINE, OPENAI, LLMClient
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.port import LLM, LLMProvider
from functions.kit.llm.usage import MemoryUsageRecorder, MeteredUsageRecorder, UsageRecorder
from functions.kit.settings import Settings

# The task `llm_offline_answer_latency_s` applies to: the answer stage writes a long reply,
# so a load test can make it slower than vision.
OFFLINE_ANSWER_TASK = "scan.answer"


def offline_latency_by_task(settings: Settings) -> dict[str, float]:
    """Per-task latencies of the offline provider (tasks not named use llm_offline_latency_s)."""
    if settings.llm_offline_answer_latency_s is None:
        return {}
    return {OFFLINE_ANSWER_TASK: settings.llm_offline_answer_latency_s}


def build_providers(
    settings: Settings, container: Container | None = None
) -> dict[str, LLMProvider]:
    """The configured providers by name; their SDK clients are closed with the container."""
    providers: dict[str, LLMProvider] = {
        OFFLINE: OfflineProvider(
            settings.llm_offline_latency_s,
            offline_latency_by_task(settings),
            token_latency_s=settings.llm_offline_token_latency_s,
        )
    }
    if settings.openai_api_key or settings.openai_base_url:
        from functions.kit.llm import openai_provider  # noqa: PLC0415 - SDK only when used

        openai_client = openai_provider.build_client(
            settings.openai_api_key, settings.openai_base_url, settings.llm_timeout_s
        )
        if container is not None:
            container.on_close(openai_client.close)
        providers[OPENAI] = openai_provider.OpenAIProvider(openai_client)
    if settings.gemini_api_key or settings.gemini_base_url:
        from functions.kit.llm import gemini_provider  # noqa: PLC0415 - SDK only when used

        gemini_client = gemini_provider.build_client(
            settings.gemini_api_key, settings.gemini_base_url, settings.llm_timeout_s
        )
        if container is not None:
            container.on_close(gemini_client.aio.aclose)
        providers[GEMINI] = gemini_provider.GeminiProvider(gemini_client)
    return providers


async def llm_usage(container: Container) -> UsageRecorder:
    """The mode's recorder; where the process keeps metrics, also counted there."""
    recorder: UsageRecorder
    if container.settings.mode == "embedded":
        recorder = MemoryUsageRecorder()
    else:
        from functions.kit.llm.postgres_usage import PostgresUsageRecorder  # noqa: PLC0415

        recorder = PostgresUsageRecorder(await container.pg_pool())
    if "metrics" in container:
        return MeteredUsageRecorder(recorder, await container.get("metrics"))
    return recorder


async def llm(container: Container) -> LLM:
    settings = container.settings
    usage: UsageRecorder = await container.get("llm_usage")
    return LLMClient(
        build_providers(settings, container),
        allowed_models=settings.allowed_models,
        default_model=settings.llm_default_model,
        timeout_s=settings.llm_timeout_s,
        retries=settings.llm_retries,
        breaker_failures=settings.llm_breaker_failures,
        breaker_open_s=settings.llm_breaker_open_s,
        fallback=settings.llm_fallback,
        fallback_models={
            OPENAI: settings.openai_fallback_model,
            GEMINI: settings.gemini_fallback_model,
        },
        usage=usage,
    )
