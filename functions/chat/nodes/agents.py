"""The sub-agents: each asks one port and answers a context (or None: nothing to say).

They are plain async functions of the state; the graph wraps each in its policy (runner) and
its progress events (`subagent`). `web_search` and `image_generation` are the provider's
tools (`tool_agents.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from functions.chat.model import PLAN
from functions.chat.nodes.deps import AgentDeps, Sources
from functions.chat.ports import Context
from functions.chat.runner import Outcome
from functions.chat.state import ChatState
from functions.kit.progress import Progress

Work = Callable[[ChatState, Sources], Awaitable[Context | None]]
SKIPPED = "정보를 가져오지 못했어요"


def _point(state: ChatState) -> tuple[float | None, float | None]:
    found = state.get("location")
    return (found["latitude"], found["longitude"]) if found else (None, None)


def _text(state: ChatState) -> str:
    """What the lookups read: the message, and the item vision named in the photo."""
    seen = (state.get("vision") or {}).get("item")
    return f"{seen} {state['message']}" if seen else state["message"]


async def waste_rag(state: ChatState, s: Sources) -> Context | None:
    return await s.knowledge.lookup(_text(state))


async def character(state: ChatState, s: Sources) -> Context | None:
    return await s.characters.describe(state["user_id"], _text(state))


async def location(state: ChatState, s: Sources) -> Context | None:
    lat, lon = _point(state)
    if lat is None or lon is None:
        return None  # nothing near "nowhere": the answer asks for the location
    return await s.places.near(lat, lon, state["message"])


async def bulk_waste(state: ChatState, s: Sources) -> Context | None:
    lat, lon = _point(state)
    return await s.bulk_waste.fees(state["message"], lat, lon)


async def recyclable_price(state: ChatState, s: Sources) -> Context | None:
    return await s.prices.prices(state["message"])


async def collection_point(state: ChatState, s: Sources) -> Context | None:
    lat, lon = _point(state)
    return await s.collection_points.near(lat, lon, _text(state))


async def weather(state: ChatState, s: Sources) -> Context | None:
    lat, lon = _point(state)
    return await s.weather.now(lat, lon)


async def web_search(state: ChatState, s: Sources) -> Context | None:
    return await s.web_search.search(state["message"], state.get("model"), state["job_id"])


async def image_generation(state: ChatState, s: Sources) -> Context | None:
    return await s.drawings.draw(state["user_id"], _text(state), state["job_id"])


async def general(state: ChatState, s: Sources) -> Context | None:
    del s
    return {"message": state["message"]}  # the model alone answers from the message


WORK: dict[str, Work] = {
    "waste_rag": waste_rag,
    "character": character,
    "location": location,
    "bulk_waste": bulk_waste,
    "recyclable_price": recyclable_price,
    "collection_point": collection_point,
    "weather": weather,
    "web_search": web_search,
    "image_generation": image_generation,
    "general": general,
}


async def run_subagent(deps: AgentDeps, name: str, state: ChatState) -> Outcome:
    """One sub-agent under its policy, between its `started` and `completed` events (a
    fail-open failure completes with a message: the run goes on without it)."""
    job_id = state["job_id"]
    # `started` repeats the job's progress (no `start`): branches interleave, and a later
    # branch must not move the bar back below one that completed already.
    async with Progress(deps.bus, job_id).stage(name, end=PLAN["agents"][1]) as stage:
        outcome = await deps.runner.run(name, job_id, lambda: WORK[name](state, deps.sources))
        stage.say(None if outcome["ok"] else SKIPPED)
    return outcome


def make(deps: AgentDeps, name: str) -> Any:
    async def subagent(state: ChatState) -> dict[str, Any]:
        return {"results": [await run_subagent(deps, name, state)]}

    subagent.__name__ = name
    return subagent
