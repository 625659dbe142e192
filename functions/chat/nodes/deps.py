"""What the nodes are built with: the LLM, the event bus (progress and tokens), the policy
runner and the data sources behind the sub-agents' ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eventing.bus.port import EventBus
from functions.chat.ports import (
    BulkWaste,
    CharacterInfo,
    CollectionPoints,
    Drawings,
    Places,
    RecyclablePrices,
    WasteKnowledge,
    Weather,
    WebSearch,
)
from functions.chat.runner import Runner
from functions.images.ports import ObjectStore
from functions.kit.llm.port import LLM


@dataclass(frozen=True)
class Sources:
    knowledge: WasteKnowledge
    characters: CharacterInfo
    places: Places
    bulk_waste: BulkWaste
    prices: RecyclablePrices
    collection_points: CollectionPoints
    weather: Weather
    web_search: WebSearch
    drawings: Drawings


@dataclass(frozen=True)
class AgentDeps:
    llm: LLM
    bus: EventBus
    runner: Runner
    sources: Sources
    images: ObjectStore | None = None  # where attached photos are read (vision)
    # The offline provider's vision answer: the item a message names ("" if none).
    offline_item: Callable[[str], str] = lambda text: ""
    # The answer's deltas go out at most once per window (nodes/batching.py); 0: one each.
    token_window_s: float = 0.0
