"""The images domain's functions and providers, declared in one light module."""

from __future__ import annotations

from functions.images import wiring
from functions.kit.container import Provider
from functions.kit.declare import Function, Kind, Scaling

IMAGES_PATH = "/api/v1/images"
MEDIA_PATH = "/media"

FUNCTIONS = (
    Function(
        name="images-api",
        domain="images",
        kind=Kind.HTTP,
        handler="functions.images.api:router",
        route_prefix=IMAGES_PATH,
        # Presigning is a few microseconds of HMAC: one replica serves a lot.
        scaling=Scaling(
            min_scale=0, max_scale=5, target_concurrency=100, container_concurrency=200
        ),
        description="POST /api/v1/images/{channel}: a signed URL to upload one image to.",
    ),
    Function(
        name="images-media",
        domain="images",
        kind=Kind.HTTP,
        handler="functions.images.media:router",
        route_prefix=MEDIA_PATH,
        # Uploads hold up to images_max_bytes in memory each: a lower hard limit per replica.
        scaling=Scaling(min_scale=0, max_scale=3, target_concurrency=20, container_concurrency=40),
        description=(
            "The embedded object store: signed PUT uploads and public GETs under /media. "
            "Deployed only where there is no S3 (with S3 it has no routes)."
        ),
    ),
)

PROVIDERS: dict[str, Provider] = {"object_store": wiring.object_store}
