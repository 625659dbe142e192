"""`/media`: the embedded object store's HTTP face, standing in for S3 + CloudFront.

`PUT /media/upload/{key}?expires&ct&max&sig` takes an upload whose authorization is the signed
URL itself (the browser sends no cookies; the edge lets `/media/` through), and
`GET /media/{key}` serves it publicly. With the S3 backend this router has no routes (404):
uploads and reads then go to the bucket and its CDN.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from functions.images.local_store import LocalObjectStore
from functions.images.ports import ObjectStore

# Keys are never reused (a uuid each), so a cached image stays valid; a day bounds the rare
# re-upload within an upload URL's lifetime.
CACHE_CONTROL = "public, max-age=86400"


def router(object_store: ObjectStore) -> APIRouter:
    """Mounted at `/media` (the declaration's route_prefix)."""
    api = APIRouter(tags=["media"])
    if not isinstance(object_store, LocalObjectStore):
        return api
    store = object_store

    @api.put("/upload/{key:path}", status_code=204)
    async def upload(key: str, request: Request) -> Response:
        length = request.headers.get("content-length", "")
        await store.receive(
            key,
            dict(request.query_params),
            request.headers.get("content-type"),
            int(length) if length.isdigit() else None,
            request.stream(),
        )
        return Response(status_code=204)

    @api.get("/{key:path}")
    async def read(key: str) -> Response:
        data, content_type = await store.get(key)
        return Response(data, media_type=content_type, headers=_headers())

    @api.head("/{key:path}")
    async def read_head(key: str) -> Response:
        stored = await store.head(key)
        if stored is None:
            return Response(status_code=404)
        headers = {**_headers(), "content-length": str(stored.size)}
        return Response(media_type=stored.content_type, headers=headers)

    return api


def _headers() -> dict[str, str]:
    return {"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
