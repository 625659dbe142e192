"""The local mesh's edge: every request consults the ext-authz, as Envoy's filter would.

Deployed, Envoy calls the Go ext-authz for each request; locally this middleware does the same
through an `AuthzCheck` (gRPC `Check` as Envoy, or the authz's HTTP mode): it sends the method,
path and headers, and either lets the request through with the identity the authz injected
(client-supplied identity headers are always removed first) or returns the authz's denial as
is. If the authz cannot be reached the request is refused with 503: the edge fails closed.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.kit.authz_check import AuthzCheck
from functions.kit.errors import (
    Eco2Error,
    NotFoundError,
    UnavailableError,
    error_body,
    http_status_and_code,
)
from functions.kit.identity import OPERATOR_HEADER, PROVIDER_HEADER, USER_HEADER

IDENTITY = (USER_HEADER.encode(), PROVIDER_HEADER.encode(), OPERATOR_HEADER.encode())
# Probes, and /media/: the embedded object store, the stand-in for S3 + CloudFront: an upload
# carries its authorization in the signed URL (the client sends no cookies), and images are
# public reads.
BYPASS = ("/health", "/ready", "/media/")
# Internal surfaces, which a cluster never routes through the public gateway: on the public
# listener they do not exist (404 before any authorization is asked, so nothing is revealed).
HIDDEN = ("/ingress/", "/internal/", "/admin/", "/metrics")
# On the internal listener, only operator calls are checked (the authz wants the operator role).
OPERATOR_PATHS = ("/admin/",)
FORWARDED_BACK = (
    "content-type",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "vary",
    "www-authenticate",
    "retry-after",
)


class Edge:
    """ASGI middleware asking `authz` (shared by a process's listeners; closed by its owner).

    Public listener (`guarded=None`): every path but the probes and media is checked, internal
    paths are 404. Internal listener: only the `guarded` prefixes are checked.
    """

    def __init__(
        self,
        app: ASGIApp,
        authz: AuthzCheck,
        guarded: tuple[str, ...] | None = None,
    ) -> None:
        self._app = app
        self._authz = authz
        self._guarded = guarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if not self._checks(scope["path"]):  # unchecked: still nobody names themselves
            clean = [(k, v) for k, v in scope["headers"] if k.lower() not in IDENTITY]
            await self._app({**scope, "headers": clean}, receive, send)
            return
        if self._guarded is None and scope["path"].startswith(HIDDEN):
            await _deny_error(send, NotFoundError("Not Found"))
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in IDENTITY]
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope["path"] + (f"?{query}" if query else "")
        verdict = await self._authz.check(scope["method"], target, headers)
        if verdict is None:
            await _deny_error(send, AuthorizationUnavailableError("authorization unavailable"))
            return
        if verdict.status != 200:
            back = [(k.encode(), v.encode()) for k, v in verdict.headers
                    if k.lower() in FORWARDED_BACK]  # fmt: skip
            await _deny(send, verdict.status, verdict.body, back)
            return
        injected = [(k.encode(), v.encode()) for k, v in verdict.headers
                    if k.lower().encode() in IDENTITY]  # fmt: skip
        await self._app({**scope, "headers": headers + injected}, receive, send)

    def _checks(self, path: str) -> bool:
        if self._guarded is not None:
            return path.startswith(self._guarded)
        return not path.startswith(BYPASS)


class AuthorizationUnavailableError(UnavailableError):
    """The authz cannot be reached: the edge fails closed."""

    code = "AUTHZ_UNAVAILABLE"


async def _deny_error(send: Send, exc: Eco2Error) -> None:
    """A denial of the edge's own, answered as the one error table says."""
    status, code = http_status_and_code(exc)
    await _deny(send, status, json.dumps(error_body(exc.detail, code)).encode(), [])


async def _deny(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    if not any(k.lower() == b"content-type" for k, _ in headers):
        headers = [*headers, (b"content-type", b"application/json")]
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
