"""`POST /api/v1/images/{channel}`: a key under the caller and a URL to PUT the image to.

The caller comes from the edge-injected `x-user-id` only (no header → 401). The browser then
PUTs the bytes straight to `upload_url` (S3, or the mesh's `/media/upload/...`), without
cookies, and sends `cdn_url` to scan or chat as `image_url`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from functions.images import services
from functions.images.model import CHANNELS, EXTENSIONS, UploadLimits
from functions.images.ports import ObjectStore
from functions.images.services import UploadResponse
from functions.kit.identity import CurrentUser
from functions.kit.openapi import errors
from functions.kit.settings import Settings
from functions.kit.text import Text


class UploadIn(BaseModel):
    filename: Text | None = Field(default=None, max_length=1024)  # accepted, ignored (ADR 0009)
    content_type: Text = Field(max_length=255, json_schema_extra={"enum": list(EXTENSIONS)})


CHANNEL_DOC: dict[str, Any] = {"enum": list(CHANNELS)}  # any other: 404 UNKNOWN_CHANNEL


class UploadOut(BaseModel):
    key: str
    upload_url: str
    cdn_url: str
    expires_in: int
    required_headers: dict[str, str]


def router(object_store: ObjectStore, settings: Settings) -> APIRouter:
    """Mounted at `/api/v1/images` (the declaration's route_prefix)."""
    limits = UploadLimits(max_bytes=settings.images_max_bytes, expires_in=settings.images_url_ttl_s)
    api = APIRouter(tags=["images"])

    @api.post("/{channel}", response_model=UploadOut, responses=errors(400, 401, 404))
    async def create_upload(
        channel: Annotated[str, Path(json_schema_extra=CHANNEL_DOC)],
        body: UploadIn,
        user: CurrentUser,
    ) -> UploadResponse:
        return await services.create_upload(
            object_store, user, channel, body.filename, body.content_type, limits=limits
        )

    return api
