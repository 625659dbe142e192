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
    from functions.chat.ports import ConversationRepository


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


async def chat_sources(container: Container) -> Sources:
    """The sub-agents' sources: the knowledge base, the character domain, the provider's
    tools (web search; the image model where Gemini is configured, else the offline
    placeholder), and the offline public-data adapters until the places domain's are wired."""
    from functions.chat import offline_sources as offline  # noqa: PLC0415
    from functions.chat.characters import CharacterService  # noqa: PLC0415
    from functions.chat.knowledge import KnowledgeBaseLookup  # noqa: PLC0415
    from functions.chat.nodes.deps import Sources  # noqa: PLC0415
    from functions.chat.tool_agents import ImageGeneration, ProviderWebSearch  # noqa: PLC0415

    kb = await container.get("scan_knowledge")
    llm = await container.get("llm")
    settings = container.settings
    gemini = bool(settings.gemini_api_key or settings.gemini_base_url)
    image_model = settings.chat_image_model if gemini else "offline"
    characters = CharacterService(
        await container.get("character_catalog"), await container.get("character_ownerships"), kb
    )
    return Sources(
        knowledge=KnowledgeBaseLookup(kb, await container.get("rule_engine")),
        characters=characters,
        places=offline.OfflinePlaces(),
        bulk_waste=offline.OfflineBulkWaste(),
        prices=offline.OfflinePrices(),
        collection_points=offline.OfflineCollectionPoints(),
        weather=offline.OfflineWeather(),
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
