"""`chat-forget`: every 30 minutes, the agent forgets what it no longer needs to remember.

The checkpoints (the graph's memory: recent turns and the summary) of deleted conversations
and of conversations idle for `ECO2_CHAT_CHECKPOINT_TTL_S` are deleted; the messages stay in
the conversation store (soft delete). A conversation with a run in progress is left alone,
and a new message makes a forgotten one remembered again (it starts from a fresh memory).
Finished runs already keep only their latest checkpoint (`ChatAgent.prune`).
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from eventing.events.mesh import Ping
from functions.chat.ports import ConversationRepository
from functions.kit.settings import Settings

log = logging.getLogger(__name__)
BATCH = 500


async def sweep(
    data: Ping,
    chat_conversations: ConversationRepository,
    chat_checkpointer: BaseCheckpointSaver[Any],
    settings: Settings,
) -> None:
    due = await chat_conversations.forgettable(settings.chat_checkpoint_ttl_s, BATCH)
    gone = []
    for conversation_id in due:
        try:
            await chat_checkpointer.adelete_thread(conversation_id)
        except Exception:  # the saver's own errors: this one stays due for the next sweep
            log.warning("could not forget %s", conversation_id, exc_info=True)
            continue
        gone.append(conversation_id)
    await chat_conversations.forgot(gone)
    if gone:
        log.info("%s: forgot the checkpoints of %d conversation(s)", data.function, len(gone))
