"""Container providers of the chat domain (named in `functions.py` PROVIDERS), by mode.

Every process's registry imports this module for the declarations, so it imports nothing
heavy itself: LangGraph, the graph and the adapters load when a provider is first called."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from functions.kit.container import Container

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from functions.chat.agent import ChatAgent
    from functions.chat.nodes.deps import Sources
    from functions.chat.ports import CharacterDirectory, ConversationRepository


async def chat_conversations(container: Container) -> ConversationRepository:
    if container.settings.mode == "embedded":
        from functions.chat.memory_repository import MemoryConversationRepository  # noqa: PLC0415

        return MemoryConversationRepository()
    from functions.chat.postgres_repository import PostgresConversationRepository  # noqa: PLC0415

    return PostgresConversationRepository(await container.pg_pool())


async def chat_checkpointer(container: Container) -> BaseCheckpointSaver[Any]:
    from functions.chat.memory import checkpoints  # noqa: PLC0415

    settings = container.settings
    chosen = settings.chat_checkpoints
    if chosen == "memory" or (chosen == "auto" and settings.mode == "embedded"):
        return checkpoints.memory_saver()
    durable = await checkpoints.postgres_saver(
        settings.pg_dsn, settings.chat_checkpoint_pool_max, container
    )
    if chosen == "postgres":
        return durable
    from functions.chat.memory.hot import HotCheckpointSaver  # noqa: PLC0415

    return HotCheckpointSaver(durable, await container.redis(), settings.redis_prefix,
                              settings.chat_checkpoint_hot_ttl_s)  # fmt: skip


async def chat_character_directory(container: Container) -> CharacterDirectory:
    """CharacterService over gRPC where `ECO2_CHARACTER_GRPC_ADDR` is set (a deployed
    chat-agent), else the character domain's use cases in process (embedded, the mesh)."""
    settings = container.settings
    if settings.character_grpc_addr:
        from functions.chat.character_grpc import GrpcCharacterDirectory  # noqa: PLC0415

        remote = GrpcCharacterDirectory(
            settings.character_grpc_addr, settings.character_grpc_timeout_s
        )
        container.on_close(remote.aclose)
        return remote
    from functions.chat.character_local import LocalCharacterDirectory  # noqa: PLC0415

    return LocalCharacterDirectory(
        await container.get("character_catalog"), await container.get("character_ownerships")
    )


async def chat_sources(container: Container) -> Sources:
    """The sub-agents' sources: the knowledge base, the character domain (its directory),
    the location domain's ports (sites; Kakao, KMA, MOIS where keyed, else offline; the price
    sheet) adapted to the chat's, and the provider's tools (web search; the image model where
    Gemini is configured, else the offline placeholder)."""
    from functions.chat import location_public as public  # noqa: PLC0415
    from functions.chat.characters import CharacterGuide  # noqa: PLC0415
    from functions.chat.knowledge import KnowledgeBaseLookup  # noqa: PLC0415
    from functions.chat.location_sites import SiteCollectionPoints, SitePlaces  # noqa: PLC0415
    from functions.chat.nodes.deps import Sources  # noqa: PLC0415
    from functions.chat.tool_agents import ImageGeneration, ProviderWebSearch  # noqa: PLC0415

    kb = await container.get("scan_knowledge")
    llm = await container.get("llm")
    settings = container.settings
    gemini = bool(settings.gemini_api_key or settings.gemini_base_url)
    image_model = settings.chat_image_model if gemini else "offline"
    sites = await container.get("location_sites")
    rules = await container.get("location_waste_rules")
    return Sources(
        knowledge=KnowledgeBaseLookup(kb, await container.get("rule_engine")),
        characters=CharacterGuide(await container.get("chat_character_directory"), kb),
        places=SitePlaces(sites, await container.get("location_place_search")),
        bulk_waste=public.MoisWasteRulesByDistrict(rules, sites, not settings.data_go_kr_key),
        prices=public.SheetPrices(await container.get("location_recyclable_prices")),
        collection_points=SiteCollectionPoints(sites),
        weather=public.KmaWeatherNow(await container.get("location_weather")),
        web_search=ProviderWebSearch(llm),
        drawings=ImageGeneration(llm, await container.get("object_store"), image_model),
    )


async def chat_agent(container: Container) -> ChatAgent:
    from functions.chat.agent import ChatAgent  # noqa: PLC0415
    from functions.chat.graph import build  # noqa: PLC0415
    from functions.chat.knowledge import offline_item  # noqa: PLC0415
    from functions.chat.nodes.deps import AgentDeps  # noqa: PLC0415
    from functions.chat.policies import Breakers  # noqa: PLC0415
    from functions.chat.runner import Runner  # noqa: PLC0415

    kb = await container.get("scan_knowledge")
    deps = AgentDeps(
        llm=await container.get("llm"),
        bus=await container.get("event_bus"),
        runner=Runner(Breakers()),
        sources=await container.get("chat_sources"),
        images=await container.get("object_store"),
        offline_item=lambda text: offline_item(kb, text),
        token_window_s=container.settings.chat_token_window_ms / 1000,
    )
    return ChatAgent(build(deps, await container.get("chat_checkpointer")), ledger=deps.llm)
