"""`POST /chat/{id}/messages` as a use case: validate everything first, then store, then go.

Order matters: the model, the image and the conversation are checked before anything is
written, so a bad request stores nothing; the user message is stored (and its run made the
conversation's active one) before the stream is registered and the event published, so the
history shows the message even if the broker is briefly away.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from eventing.bus.port import EventBus
from eventing.errors import UnavailableError
from eventing.events.chat import ChatMessageSubmitted, Coordinates
from functions.chat.errors import MessageTooLong, ModelNotOffered
from functions.chat.model import DEFAULT_CHAT_MODEL, KIND, Message
from functions.chat.ports import ConversationRepository
from functions.chat.schemas import MessageIn
from functions.images.ports import ObjectStore
from functions.images.services import resolve_image
from functions.kit.llm.errors import UnknownModel
from functions.kit.llm.port import LLM
from functions.kit.progress import Progress
from functions.kit.publisher import Publisher
from functions.kit.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    job_id: str
    user_message: Message


def choose_model(requested: str | None, llm: LLM, settings: Settings) -> str:
    """The contract's model (domain.md's list, else 400 UNKNOWN_MODEL), served by its own
    provider when one is configured here, else by the configured default model (embedded:
    the offline provider) — the PWA always sends one of the offered names."""
    model = (requested or DEFAULT_CHAT_MODEL).strip()
    if model not in settings.offered_chat_models:
        raise ModelNotOffered(f"model {model!r} is not offered; use one of "
                              f"{list(settings.offered_chat_models)}")  # fmt: skip
    try:
        return llm.check_model(model)
    except UnknownModel:
        return llm.check_model(None)


async def submit(
    conversation_id: str,
    user_id: str,
    body: MessageIn,
    *,
    conversations: ConversationRepository,
    store: ObjectStore,
    llm: LLM,
    bus: EventBus,
    publisher: Publisher,
    settings: Settings,
) -> Submission:
    if len(body.message) > settings.chat_message_max_chars:
        raise MessageTooLong(
            f"messages are limited to {settings.chat_message_max_chars} characters"
        )
    model = choose_model(body.model, llm, settings)
    image = None
    if body.image_url is not None:
        image = await resolve_image(store, body.image_url, user_id, settings.images_max_bytes)
    job_id = str(uuid.uuid4())
    fresh = Message(
        id=str(uuid.uuid4()), conversation_id=conversation_id, seq=0, role="user",
        content=body.message, created_at=datetime.now(UTC), image_url=body.image_url,
        job_id=job_id,
    )  # fmt: skip
    stored = await conversations.add_user_message(
        conversation_id, user_id, fresh, settings.chat_run_timeout_s
    )
    location = body.user_location
    event = ChatMessageSubmitted(
        job_id=job_id, conversation_id=conversation_id, user_id=user_id,
        user_message_id=stored.id, message=body.message, model=model,
        image_url=body.image_url, image_key=image.key if image else None,
        content_type=image.content_type if image else None,
        location=Coordinates(latitude=location.latitude, longitude=location.longitude)
        if location else None,
    )  # fmt: skip
    await _enqueue(event, bus, publisher, conversations)
    return Submission(job_id=job_id, user_message=stored)


async def _enqueue(
    event: ChatMessageSubmitted,
    bus: EventBus,
    publisher: Publisher,
    conversations: ConversationRepository,
) -> None:
    """The stream first (owner, `queued`), then the event (its id is the job id). If either
    cannot take it now, the run is ended at once — the message stays in the history and the
    conversation is free for the user to try again — and the 503 says so."""
    try:
        await bus.register_job(event.job_id, event.user_id, KIND)
        await Progress(bus, event.job_id).queued()
        await publisher.publish(event, event_id=event.job_id, subject=event.conversation_id)
    except UnavailableError:
        log.warning("chat job %s: could not enqueue; run ended", event.job_id)
        await conversations.fail_run(event.conversation_id, event.job_id)
        raise
