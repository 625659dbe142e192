"""The chat domain's functions and providers, declared in one light module.

`chat-api` stores conversations and messages and publishes each message; `chat-agent` answers
it by running the LangGraph graph (its nodes wait on models and data sources: many runs at
once per replica); `chat-failed` ends a run the broker gave up on. The stream itself is the
SSE gateway's (`/api/v1/chat/{job_id}/events`).
"""

from __future__ import annotations

from eventing.events.chat import ANSWERED, SUBMITTED, TYPE_PREFIX
from eventing.events.mesh import DEAD_LETTERED, ORIGIN_TYPE
from eventing.filters import prefix
from functions.chat import wiring
from functions.kit.container import Provider
from functions.kit.declare import Delivery, Function, Kind, Scaling, Schedule, Trigger, scheduled

API_SCALING = Scaling(min_scale=1, max_scale=10, target_concurrency=100, container_concurrency=200)
AGENT_SCALING = Scaling(
    min_scale=0, max_scale=20, target_concurrency=200, container_concurrency=500
)

FUNCTIONS = (
    Function(
        name="chat-api",
        domain="chat",
        kind=Kind.HTTP,
        handler="functions.chat.api:router",
        route_prefix="/api/v1/chat",
        scaling=API_SCALING,
        description="Conversations (list, create, read, rename, delete) and sending messages.",
    ),
    Function(
        name="chat-agent",
        domain="chat",
        handler="functions.chat.agent:respond",
        trigger=Trigger(type=SUBMITTED),
        replies=(ANSWERED,),
        # Longer than the slowest run (intent + sub-agents + a streamed answer, each LLM call
        # with its retries and fallback). A fail-closed node ends the run itself (no retry).
        delivery=Delivery(retries=2, base_delay_s=1.0, timeout_s=300),
        scaling=AGENT_SCALING,
        description="이코 answers a message: intent, parallel sub-agents, aggregator, answer.",
    ),
    Function(
        name="chat-forget",
        domain="chat",
        handler="functions.chat.forget:sweep",
        trigger=scheduled("chat-forget"),
        schedule=Schedule(minutes=30),
        delivery=Delivery(retries=2, base_delay_s=1.0, timeout_s=120),
        scaling=Scaling(min_scale=0, max_scale=1, target_concurrency=1, container_concurrency=1),
        description="Deletes the checkpoints of deleted conversations and of idle ones (TTL).",
    ),
    Function(
        name="chat-failed",
        domain="chat",
        handler="functions.chat.agent:failed",
        trigger=Trigger(type=DEAD_LETTERED, filters=(prefix(ORIGIN_TYPE, TYPE_PREFIX),)),
        delivery=Delivery(retries=4, base_delay_s=0.5, timeout_s=15),
        scaling=Scaling(min_scale=0, max_scale=2, target_concurrency=50, container_concurrency=100),
        description="Ends a chat run whose event the broker gave up on: a failed done.",
    ),
)

# The agent reports on the kit's event bus, asks the LLM port, reads images' store, the scan
# knowledge base, the location domain's sites and public-data clients (in process: ADR 0015,
# "Where the sub-agents' data comes from") and, without ECO2_CHARACTER_GRPC_ADDR, the
# character domain's use cases: their adapters (and migrations) come along, their functions
# do not.
REQUIRES = (
    "functions.kit.functions",
    "functions.kit.llm.functions",
    "functions.images.functions",
    "functions.scan.functions",
    "functions.character.functions",
    "functions.location.functions",
)

PROVIDERS: dict[str, Provider] = {
    "chat_conversations": wiring.chat_conversations,
    "chat_checkpointer": wiring.chat_checkpointer,
    "chat_character_directory": wiring.chat_character_directory,
    "chat_sources": wiring.chat_sources,
    "chat_agent": wiring.chat_agent,
}
