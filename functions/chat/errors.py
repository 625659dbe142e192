"""The chat domain's errors (the kit's table maps them to HTTP status and retry/dead-letter)."""

from __future__ import annotations

from functions.kit.errors import (
    BadRequestError,
    ConflictError,
    Eco2Error,
    NotFoundError,
    UnavailableError,
)


class ChatError(Eco2Error):
    """Base of the chat package's errors."""


class ConversationNotFound(ChatError, NotFoundError):
    """Unknown, deleted or someone else's conversation: the same 404 for all three."""

    code = "CHAT_NOT_FOUND"


class RunActive(ChatError, ConflictError):
    """A second message while 이코 is still answering the first (ADR 0015: reject, 409)."""

    code = "CHAT_RUN_ACTIVE"


class InvalidCursor(ChatError, BadRequestError):
    code = "INVALID_CURSOR"


class MessageTooLong(ChatError, BadRequestError):
    """Longer than `ECO2_CHAT_MESSAGE_MAX_CHARS` (under the schema's hard cap)."""

    code = "MESSAGE_TOO_LONG"


class ModelNotOffered(ChatError, BadRequestError):
    """A model outside domain.md's list (the same code as the LLM port's refusal)."""

    code = "UNKNOWN_MODEL"


class NodeFailed(ChatError):
    """A fail-closed node gave up: the run ends as failed (not retried by the broker)."""

    code = "CHAT_NODE_FAILED"

    def __init__(self, node: str, cause: str) -> None:
        super().__init__(f"'{node}' 단계를 끝내지 못했어요 ({cause})")  # the client reads it
        self.node = node


class CheckpointStoreUnavailable(ChatError, UnavailableError):
    """The graph's memory (PostgreSQL, or its Redis hot layer) cannot be read or written:
    the broker retries the run, which resumes from the last checkpoint written."""

    code = "CHAT_MEMORY_UNAVAILABLE"


class CharacterNotFound(ChatError, NotFoundError):
    """The character domain does not know this user (or the id is not one of ours): the
    sub-agent answers with the default character instead of what the user owns."""

    code = "CHAT_CHARACTER_NOT_FOUND"


class CharacterServiceError(ChatError):
    """CharacterService answered with an error the chat cannot read (INTERNAL, UNKNOWN…):
    a failure of the character node, handled by its policy."""

    code = "CHAT_CHARACTER_FAILED"


class CharacterServiceUnavailable(CharacterServiceError, UnavailableError):
    """CharacterService is down, overloaded or slower than the call's deadline: the node's
    policy retries it, then its fail mode (open) lets the run go on without it."""

    code = "CHAT_CHARACTER_UNAVAILABLE"
