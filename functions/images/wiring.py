"""Container provider of the images domain: the object store of the configured backend.

S3 when `images_backend` is "s3", or "auto" with a bucket set; otherwise the embedded store,
files under `media_dir` (or a temporary directory removed when the container closes), signed
with `images_signing_key` or a random per-process key. A random key only works where one
process both signs (the API) and verifies (`/media`), as in the local mesh: deployments that
split them must set the key (and share the directory).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import tempfile
from pathlib import Path

from functions.images.ports import ObjectStore
from functions.kit.container import Container
from functions.kit.settings import Settings

log = logging.getLogger(__name__)


def uses_s3(settings: Settings) -> bool:
    return settings.images_backend == "s3" or (
        settings.images_backend == "auto" and bool(settings.s3_bucket)
    )


async def object_store(container: Container) -> ObjectStore:
    settings = container.settings
    if uses_s3(settings):
        return await _s3_store(container)
    return await _local_store(container)


async def _s3_store(container: Container) -> ObjectStore:
    from functions.images.s3_store import S3ObjectStore, make_client  # noqa: PLC0415

    settings = container.settings
    if not settings.s3_bucket:
        raise ValueError("ECO2_IMAGES_BACKEND=s3 needs ECO2_S3_BUCKET")
    client = await asyncio.to_thread(make_client, settings)

    async def close() -> None:
        await asyncio.to_thread(client.close)

    container.on_close(close)
    return S3ObjectStore(client, settings.s3_bucket, settings.cdn_base_url, settings.s3_region)


async def _local_store(container: Container) -> ObjectStore:
    from functions.images.blob_stores import DirectoryBlobStore  # noqa: PLC0415
    from functions.images.local_store import LocalObjectStore  # noqa: PLC0415

    settings = container.settings
    if settings.media_dir:
        root = Path(settings.media_dir)
        await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    else:
        root = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="eco2-media-"))

        async def remove() -> None:
            await asyncio.to_thread(shutil.rmtree, root, ignore_errors=True)

        container.on_close(remove)
    if settings.mode == "real" and not (settings.images_signing_key and settings.media_dir):
        log.warning(
            "images: embedded store without ECO2_IMAGES_SIGNING_KEY and ECO2_MEDIA_DIR; "
            "uploads work only while one process serves both the API and /media"
        )
    key = (
        settings.images_signing_key.encode()
        if settings.images_signing_key
        else secrets.token_bytes(32)
    )
    return LocalObjectStore(DirectoryBlobStore(root), settings.public_url, key)
