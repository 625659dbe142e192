"""Ports of the chat domain, as protocols: the conversation store and what the sub-agents ask.

The public-data ports (places, bulky waste, prices, collection points, weather) are the chat's
own, small on purpose: the location domain's ports answer them through the adapters in
`location_sites.py` and `location_public.py` (wired in `wiring.chat_sources`). Characters
come through `CharacterDirectory` (gRPC or in process). Every source answers plain data
(`Context`, a JSON-able dict) that the answer step writes from, or `None` when it has nothing
to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from functions.chat.model import Conversation, Message

Context = dict[str, Any]


class ConversationRepository(Protocol):
    """Conversations and their messages, owner-scoped: a foreign or deleted conversation is
    `None` (or `ConversationNotFound`), never distinguishable from an unknown one.

    Counters, preview, last-message time and the active run change in the same atomic step as
    the message that changes them, so concurrent writers cannot make them disagree.
    """

    async def create(self, user_id: str, title: str | None, now: datetime) -> Conversation: ...

    async def get(self, conversation_id: str, user_id: str) -> Conversation | None: ...

    async def list_for(
        self, user_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[Conversation]:
        """Newest activity first (ties: id descending), strictly after the cursor
        `(activity, id)` of the last conversation of the previous page."""
        ...

    async def rename(self, conversation_id: str, user_id: str, title: str) -> bool: ...

    async def delete(self, conversation_id: str, user_id: str) -> bool:
        """Soft delete: gone for the owner, kept in storage."""
        ...

    async def messages(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        """The newest `limit` messages before `before_seq` (None: the newest), oldest first."""
        ...

    async def message(self, message_id: str) -> Message | None: ...

    async def add_user_message(
        self, conversation_id: str, user_id: str, message: Message, active_ttl_s: float
    ) -> Message:
        """Store a user message and make its run (`message.job_id`) the active one. Raises
        ConversationNotFound, or RunActive while another run started less than `active_ttl_s`
        ago has not ended; `message.seq` is assigned here."""
        ...

    async def finish_run(
        self, conversation_id: str, job_id: str, message: Message
    ) -> Message | None:
        """Store the run's assistant message once (its id is derived from the job: a re-run
        returns the stored one) and end the run; None if the conversation is gone."""
        ...

    async def fail_run(self, conversation_id: str, job_id: str) -> None:
        """End the run without an answer (if it is still the active one)."""
        ...

    async def forgettable(self, idle_s: float, limit: int) -> list[str]:
        """Conversations whose checkpoints may go: deleted, or idle for `idle_s`, and not
        forgotten yet; oldest activity first."""
        ...

    async def forgot(self, conversation_ids: list[str]) -> None:
        """Their checkpoints are gone (until a new message makes them remembered again)."""
        ...


class WasteKnowledge(Protocol):
    """Disposal rules for what a message names. The retriever being built for waste_rag
    (Korean tokenisation + BM25) will replace the knowledge base's lookup behind this."""

    async def lookup(self, text: str) -> Context | None: ...


class CharacterInfo(Protocol):
    async def describe(self, user_id: str, text: str) -> Context | None: ...


@dataclass(frozen=True, slots=True)
class CharacterCard:
    """A character as the chat shows it (CharacterService's `Character`, the fields used)."""

    code: str
    name: str
    type: str
    dialog: str
    middle_category: str | None  # what earns it; None for the default character
    is_default: bool = False


class CharacterDirectory(Protocol):
    """The character domain as the chat reaches it: over gRPC when deployed (CharacterService),
    its use cases in process otherwise. Errors are the chat's (`CharacterNotFound`,
    `CharacterServiceUnavailable`), whichever door was used."""

    async def catalog(self) -> list[CharacterCard]:
        """Every character, the default first."""
        ...

    async def owned(self, user_id: str) -> list[CharacterCard]:
        """What the user owns, the default first; CharacterNotFound for an unknown user."""
        ...


class Places(Protocol):
    """Zero-waste shops and recycling centres near a point (our sites, plus Kakao Local)."""

    async def near(self, latitude: float, longitude: float, text: str) -> Context | None: ...


class BulkWaste(Protocol):
    """A district's bulky-waste fees and household-waste days (MOIS waste information)."""

    async def fees(
        self, text: str, latitude: float | None, longitude: float | None
    ) -> Context | None: ...


class RecyclablePrices(Protocol):
    """Market prices of recyclables, won per kg (the KECO survey's price sheet)."""

    async def prices(self, text: str) -> Context | None: ...


class CollectionPoints(Protocol):
    """Bins for batteries, lamps, e-waste, clothes (the sites store: KECO boxes, clothing
    bins)."""

    async def near(
        self, latitude: float | None, longitude: float | None, text: str
    ) -> Context | None: ...


class Weather(Protocol):
    """Current weather at a point (KMA short-term forecast) with its disposal tip."""

    async def now(self, latitude: float | None, longitude: float | None) -> Context | None: ...


class WebSearch(Protocol):
    """Recent news and policy, through the chosen model's native search tool; None when the
    web had nothing (offline always: the fallback chain goes on to the model alone)."""

    async def search(self, text: str, model: str | None, job_id: str) -> Context | None: ...


class Drawings(Protocol):
    """Pictures drawn for the user (Gemini's image model), stored in the images domain."""

    async def draw(self, user_id: str, text: str, job_id: str) -> Context | None: ...
