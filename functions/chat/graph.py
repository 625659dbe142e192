"""The agent's graph, in one readable place.

    START ─(a photo?)─▶ vision ─▶ intent ─(router: a Send per planned sub-agent)─▶
            waste_rag | character | location | bulk_waste | recyclable_price |
            collection_point | weather | web_search | image_generation | general
            (in parallel, one step)
          → aggregator (required contexts; fallback chain rag → web_search → general)
          ─(a long history?)─▶ summarize → answer (streamed) → END

Routing: `nodes/router.py` (intent → node, enrichment rules). Policies: `policies.py`.
Checkpoints: one thread per conversation (`memory/checkpoints.py` picks the saver).
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from functions.chat.nodes import agents, aggregator, answer, intent, summarize, vision
from functions.chat.nodes.deps import AgentDeps
from functions.chat.nodes.router import SUBAGENTS, fan_out
from functions.chat.state import ChatState

Graph = CompiledStateGraph[Any, Any, Any, Any]


def build(deps: AgentDeps, checkpointer: BaseCheckpointSaver[Any] | None) -> Graph:
    graph = StateGraph(ChatState)
    graph.add_node("vision", vision.make(deps))
    graph.add_node("intent", intent.make(deps))
    for name in SUBAGENTS:
        graph.add_node(name, agents.make(deps, name))
    graph.add_node("aggregator", aggregator.make(deps))
    graph.add_node("summarize", summarize.make(deps))
    graph.add_node("answer", answer.make(deps))

    graph.add_conditional_edges(START, vision.has_image, ["vision", "intent"])
    graph.add_edge("vision", "intent")
    graph.add_conditional_edges("intent", fan_out, list(SUBAGENTS))
    for name in SUBAGENTS:
        graph.add_edge(name, "aggregator")
    graph.add_conditional_edges("aggregator", summarize.needs_summary, ["summarize", "answer"])
    graph.add_edge("summarize", "answer")
    graph.add_edge("answer", END)
    return graph.compile(checkpointer=checkpointer)
