"""Request and response models of `/api/v1/chat` (http-api.md, Chat), for validation and the
OpenAPI document. Text is the kit's text types: no control characters reach storage."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.kit.text import MultilineText, Text

MESSAGE_MAX_CHARS = 4_000  # the hard cap; ECO2_CHAT_MESSAGE_MAX_CHARS may lower it
TITLE_MAX_CHARS = 100


class TitleIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Text | None = Field(default=None, max_length=TITLE_MAX_CHARS)

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Text = Field(min_length=1, max_length=TITLE_MAX_CHARS)

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the title must not be blank")
        return value.strip()


class UserLocation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)

    @field_validator("latitude", "longitude")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("coordinates must be finite numbers")
        return value


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: MultilineText = Field(min_length=1, max_length=MESSAGE_MAX_CHARS)
    image_url: Text | None = Field(default=None, min_length=1, max_length=2048)
    user_location: UserLocation | None = None
    model: Text | None = Field(default=None, max_length=100)

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message must not be blank")
        return value.strip()


class ChatCreated(BaseModel):
    id: str
    title: str
    created_at: str


class ChatSummary(BaseModel):
    id: str
    title: str
    preview: str
    message_count: int
    last_message_at: str | None
    created_at: str


class ChatList(BaseModel):
    chats: list[ChatSummary]
    next_cursor: str | None


class MessageOut(BaseModel):
    id: str
    role: Literal["user", "assistant"]
    content: str  # Markdown
    created_at: str
    image_url: str | None = None


class ChatRead(BaseModel):
    id: str
    title: str
    messages: list[MessageOut]  # oldest → newest
    has_more: bool
    next_cursor: str | None  # older messages
    created_at: str


class Renamed(BaseModel):
    id: str
    title: str


class MessageAccepted(BaseModel):
    job_id: str
    stream_url: str  # relative: /api/v1/chat/{job_id}/events
    status: Literal["submitted"]
