"""The aggregator: every intent's required context is checked; a missing one whose node
failed under a `fallback` policy (or said nothing) runs the chain rag → web_search → general,
each step under its own policy and progress events; what is still missing is named for the
answer, which then says so instead of inventing it.
"""

from __future__ import annotations

from typing import Any

from functions.chat.model import PLAN
from functions.chat.nodes.agents import run_subagent
from functions.chat.nodes.deps import AgentDeps
from functions.chat.nodes.router import NODE_OF_INTENT
from functions.chat.runner import Outcome
from functions.chat.state import ChatState
from functions.kit.progress import Progress

FALLBACK_CHAIN: tuple[str, ...] = ("waste_rag", "web_search", "general")
# Intents whose node's silence the chain may answer for (facts the model could still know);
# the others need their data (a place, a price, the weather) or nothing.
CHAINED = frozenset({"waste", "web_search"})


def _chain_after(node: str) -> tuple[str, ...]:
    return FALLBACK_CHAIN[FALLBACK_CHAIN.index(node) + 1 :] if node in FALLBACK_CHAIN else ()


async def _fill(deps: AgentDeps, state: ChatState, node: str, have: dict[str, Outcome]) -> str:
    """Walk the chain after `node` until a step has something; returns the node that did."""
    for step in _chain_after(node):
        outcome = have.get(step)
        if outcome is None:
            outcome = await run_subagent(deps, step, state)
            have[step] = outcome
        if outcome["ok"] and outcome["context"]:
            return step
    return "general"


def make(deps: AgentDeps) -> Any:
    async def aggregator(state: ChatState) -> dict[str, Any]:
        job_id = state["job_id"]
        start, end = PLAN["aggregator"]
        async with Progress(deps.bus, job_id).stage("aggregator", start=start, end=end):
            return await _aggregate(deps, state)

    return aggregator


async def _aggregate(deps: AgentDeps, state: ChatState) -> dict[str, Any]:
    """The required context of each intent, filled by the fallback chain where it may be."""
    job_id = state["job_id"]
    mine = [o for o in state.get("results") or [] if o["job_id"] == job_id]
    have = {o["node"]: o for o in mine}
    missing: list[str] = []
    fallbacks: dict[str, str] = {}
    for intent in state.get("intents") or ["general"]:
        node = NODE_OF_INTENT.get(intent, "general")
        found = have.get(node)
        if found is not None and found["ok"] and found["context"]:
            continue
        if intent in CHAINED or (found is not None and found["fallback"]):
            fallbacks[node] = await _fill(deps, state, node, have)
        else:
            missing.append(node)
    contexts = {n: o["context"] for n, o in have.items() if o["ok"] and o["context"]}
    if fallbacks:
        contexts["fallbacks"] = fallbacks
    return {"contexts": contexts, "missing": missing,
            "results": [o for o in have.values() if o not in mine]}  # fmt: skip
