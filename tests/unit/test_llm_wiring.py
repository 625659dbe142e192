"""Building the LLM from settings through the container (no server is contacted)."""

from __future__ import annotations

from eventing.catalog import default_catalog
from functions.kit.container import Container
from functions.kit.llm import wiring
from functions.kit.llm.client import LLMClient
from functions.kit.llm.gemini_provider import GeminiProvider
from functions.kit.llm.offline_provider import OfflineProvider
from functions.kit.llm.openai_provider import OpenAIProvider
from functions.kit.llm.usage import MemoryUsageRecorder
from functions.kit.llm.wiring import build_providers, offline_latency_by_task
from functions.kit.registry import collect
from functions.kit.settings import Settings

MODULE = "functions.kit.llm.functions"


def embedded(**changes: object) -> Settings:
    """Settings that ignore any ECO2_* key in the environment running the tests."""
    values: dict[str, object] = {
        "mode": "embedded",
        "openai_api_key": None,
        "openai_base_url": None,
        "gemini_api_key": None,
        "gemini_base_url": None,
        **changes,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_the_declaration_module_provides_the_llm_and_its_migration() -> None:
    registry = collect([MODULE], default_catalog())
    assert len(registry) == 0
    assert registry.providers == {"llm": wiring.llm, "llm_usage": wiring.llm_usage}
    [folder] = registry.migrations
    assert folder.parent.name == "llm"
    assert [p.name for p in sorted(folder.glob("*.sql"))] == [
        "0001_llm_usage.sql",
        "0002_llm_costs.sql",
    ]


def test_only_the_offline_provider_without_keys_or_urls() -> None:
    providers = build_providers(embedded())
    assert list(providers) == ["offline"]
    assert isinstance(providers["offline"], OfflineProvider)


def test_a_key_or_a_base_url_configures_a_remote_provider() -> None:
    by_key = build_providers(embedded(openai_api_key="sk-test", gemini_api_key="g-test"))
    assert isinstance(by_key["openai"], OpenAIProvider)
    assert isinstance(by_key["gemini"], GeminiProvider)
    by_url = build_providers(embedded(openai_base_url="http://127.0.0.1:1/v1"))
    assert sorted(by_url) == ["offline", "openai"]


def test_the_answer_stage_may_have_its_own_offline_latency() -> None:
    assert offline_latency_by_task(embedded()) == {}
    settings = embedded(llm_offline_latency_s=3.0, llm_offline_answer_latency_s=8.0)
    assert offline_latency_by_task(settings) == {"scan.answer": 8.0}
    offline = build_providers(settings)["offline"]
    assert isinstance(offline, OfflineProvider)
    assert offline.latency_for("scan.vision") == 3.0
    assert offline.latency_for("scan.answer") == 8.0


async def test_the_container_builds_an_offline_client_in_embedded_mode() -> None:
    registry = collect([MODULE], default_catalog())
    container = Container(embedded(), {}, registry.providers, registry.migrations)
    try:
        llm = await container.get("llm")
        assert isinstance(llm, LLMClient)
        assert isinstance(await container.get("llm_usage"), MemoryUsageRecorder)
        assert llm.check_model(None) == "offline"
    finally:
        await container.close()
