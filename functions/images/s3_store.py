"""The object store on S3 (production), optionally behind CloudFront for public reads.

boto3 is blocking: every network call runs in a worker thread; presigning is local CPU work.
A presigned PUT signs the key, the Content-Type and the expiry but cannot cap the size, so the
cap is enforced when the image is used (`services.resolve_image` HEADs it and deletes an
oversize object). botocore errors are translated here, at the boundary.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from functions.images.model import ImageNotFound, ImagesUnavailable, key_under
from functions.images.ports import PresignedUpload, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from functions.kit.settings import Settings

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3ObjectStore:
    def __init__(
        self, client: S3Client, bucket: str, cdn_base_url: str | None, region: str
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._public_base = (cdn_base_url or _bucket_url(client, bucket, region)).rstrip("/")

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload:
        del max_bytes  # a presigned PUT cannot cap the size: resolve_image enforces it
        url = self._client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self._bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
        )
        return PresignedUpload(url, {"Content-Type": content_type}, expires_in)

    def public_url(self, key: str) -> str:
        return f"{self._public_base}/{key}"

    def key_for_url(self, url: str) -> str | None:
        return key_under(self._public_base, url)

    async def head(self, key: str) -> StoredObject | None:
        try:
            meta = await asyncio.to_thread(self._client.head_object, Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return StoredObject(key, int(meta["ContentLength"]), meta.get("ContentType", ""))

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        try:
            await asyncio.to_thread(self._client.put_object, Bucket=self._bucket, Key=key,
                                    Body=data, ContentType=content_type)  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
        return StoredObject(key, len(data), content_type)

    async def get(self, key: str) -> tuple[bytes, str]:
        try:
            return await asyncio.to_thread(self._get, key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                raise ImageNotFound("no such image") from None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def _get(self, key: str) -> tuple[bytes, str]:
        response = self._client.get_object(Bucket=self._bucket, Key=key)
        with response["Body"] as body:
            return body.read(), response.get("ContentType", "")

    async def delete(self, key: str) -> None:
        try:
            await asyncio.to_thread(self._client.delete_object, Bucket=self._bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc


def make_client(settings: Settings) -> S3Client:
    """A blocking call (boto3 loads its service models): run it in a worker thread."""
    import boto3  # noqa: PLC0415 - only processes using S3 pay for boto3's import
    from botocore.config import Config  # noqa: PLC0415

    style: Literal["path", "virtual"] = "path" if settings.s3_endpoint_url else "virtual"
    return boto3.client(
        "s3",
        region_name=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )


async def ensure_bucket_cors(client: S3Client, bucket: str, origins: Sequence[str]) -> None:
    """The bucket CORS rule browsers need to PUT (and GET) cross-origin; for ops and tests."""
    rule: Any = {
        "AllowedMethods": ["PUT", "GET", "HEAD"],
        "AllowedOrigins": list(origins),
        "AllowedHeaders": ["content-type"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 3600,
    }
    await asyncio.to_thread(
        client.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": [rule]}
    )


def public_read_policy(bucket: str) -> str:
    """The bucket policy that makes `cdn_url` GET-able when there is no CloudFront in front
    (with CloudFront, keep the bucket private and grant its origin access control instead)."""
    statement = {
        "Sid": "PublicReadImages",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _bucket_url(client: S3Client, bucket: str, region: str) -> str:
    """The bucket's own URL: virtual-hosted on AWS, path-style on any other endpoint."""
    endpoint = client.meta.endpoint_url
    if urlsplit(endpoint).hostname in (None, f"s3.{region}.amazonaws.com", "s3.amazonaws.com"):
        return f"https://{bucket}.s3.{region}.amazonaws.com"
    return f"{endpoint.rstrip('/')}/{bucket}"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(exc: Exception) -> ImagesUnavailable:
    return ImagesUnavailable(f"the image store failed: {type(exc).__name__}")
