"""The router: which sub-agents a run needs, by intent and domain.md's enrichment rules, and
the `Send` of each (they run in parallel, in one step of the graph).

- every intent has its node (waste → waste_rag, the others by their own name);
- waste and bulk_waste also ask for the weather (rain keeps paper and furniture out);
- a user location brings the weather for the intents that happen outdoors;
- "real-time" words (최신, 요즘, 오늘, 뉴스, 정책 …) bring a web search.
"""

from __future__ import annotations

from langgraph.types import Send

from functions.chat.state import ChatState

NODE_OF_INTENT: dict[str, str] = {
    "waste": "waste_rag",
    "character": "character",
    "location": "location",
    "bulk_waste": "bulk_waste",
    "recyclable_price": "recyclable_price",
    "collection_point": "collection_point",
    "weather": "weather",
    "image_generation": "image_generation",
    "web_search": "web_search",
    "general": "general",
}
SUBAGENTS: tuple[str, ...] = tuple(dict.fromkeys(NODE_OF_INTENT.values()))
WEATHER_ALWAYS = frozenset({"waste", "bulk_waste"})
WEATHER_WITH_LOCATION = frozenset(
    {"waste", "bulk_waste", "location", "collection_point", "recyclable_price", "weather"}
)
REALTIME_WORDS = ("최신", "요즘", "오늘", "뉴스", "정책", "최근", "올해")


def plan(intents: list[str], message: str, has_location: bool) -> list[str]:
    """The sub-agents to run, each once, in the intents' order and then the enrichments."""
    nodes = [NODE_OF_INTENT[i] for i in intents if i in NODE_OF_INTENT]
    wanted = set(intents)
    if wanted & WEATHER_ALWAYS or (has_location and wanted & WEATHER_WITH_LOCATION):
        nodes.append("weather")
    if any(word in message for word in REALTIME_WORDS):
        nodes.append("web_search")
    return list(dict.fromkeys(nodes)) or ["general"]


def fan_out(state: ChatState) -> list[Send]:
    """The conditional edge after `intent`: one `Send` per planned sub-agent."""
    nodes = plan(state.get("intents") or ["general"], state["message"],
                 state.get("location") is not None)  # fmt: skip
    return [Send(node, state) for node in nodes]
