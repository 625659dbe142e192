"""How the local edge asks the Go ext-authz for a decision: a port and its two adapters.

gRPC (Envoy's ext_authz v3 Check, what the deployed edge uses) is the default when the mesh
starts the authz itself: a unary call on one HTTP/2 channel costs the edge a fraction of the
CPU of an HTTP/1.1 request through httpx (the scan bench measured the httpx check at about a
third of the HTTP process's CPU). The authz's HTTP mode stays for an authz given by URL.
Both answer `None` when the authz cannot be asked: the edge then fails closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from functions.kit import protos
from functions.kit.settings import Settings

CHECK_PROTO = "eco2/edge/v1/ext_authz_check.proto"
Headers = Sequence[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Verdict:
    """The authz's answer: 200 lets the request through with `headers` added upstream;
    anything else is the denial to send back as is (status, headers, body)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class AuthzCheck(Protocol):
    async def check(self, method: str, target: str, headers: Headers) -> Verdict | None:
        """`target` is the path and query string as sent; None = the authz is unreachable."""
        ...

    async def not_ready(self) -> str | None:
        """Why the authz cannot decide now (unreachable, or its own /readyz says not ready);
        None when it can. The mesh's `/ready` is 503 while this is not None: a pod whose
        edge would fail closed must not receive traffic."""
        ...

    async def aclose(self) -> None: ...


async def _readyz(client: httpx.AsyncClient, url: str) -> str | None:
    """The authz HTTP mode's `/readyz`: 200 ready; 503 with its reasons; else unreachable."""
    try:
        answer = await client.get(url)
    except httpx.HTTPError as exc:
        return f"authorizer unreachable ({type(exc).__name__})"
    if answer.status_code == 200:
        return None
    try:
        reasons = answer.json().get("reasons") or []
    except ValueError:
        reasons = []
    return "authorizer not ready" + (f": {'; '.join(map(str, reasons))}" if reasons else "")


class HttpAuthzCheck:
    """The authz's HTTP mode: the request's method and headers to `/check<target>`."""

    def __init__(self, authz_url: str, timeout_s: float = 2.0) -> None:
        self._base = authz_url.rstrip("/")
        # One check per public request: keep enough connections alive that a burst of
        # requests reuses them instead of queueing for the pool or opening new ones.
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=500)
        self._client = httpx.AsyncClient(timeout=timeout_s, limits=limits)

    async def check(self, method: str, target: str, headers: Headers) -> Verdict | None:
        sent = {k.decode(): v.decode() for k, v in headers if k.lower() != b"content-length"}
        try:
            answer = await self._client.request(method, f"{self._base}/check{target}", headers=sent)
        except httpx.HTTPError:
            return None
        return Verdict(answer.status_code, list(answer.headers.items()), answer.content)

    async def not_ready(self) -> str | None:
        return await _readyz(self._client, f"{self._base}/readyz")

    async def aclose(self) -> None:
        await self._client.aclose()


class GrpcAuthzCheck:
    """Envoy's ext_authz v3 `Check` over gRPC (the channel connects on first use).

    Readiness: the authz's `/readyz` when its HTTP address is known (`ready_url`), else a
    `Check` of the public `/ready` path, which a reachable authz always allows."""

    def __init__(self, address: str, timeout_s: float = 2.0, ready_url: str | None = None) -> None:
        self._address = address
        self._timeout_s = timeout_s
        self._ready_url = ready_url
        self._channel: Any = None
        self._call: Any = None
        self._pb: Any = None

    def _stub(self) -> Any:
        if self._call is None:  # built in the serving loop (grpc.aio binds to it)
            import grpc  # type: ignore[import-untyped]  # noqa: PLC0415 - only gRPC edges

            self._pb, services = protos.load(CHECK_PROTO)
            self._channel = grpc.aio.insecure_channel(self._address)
            self._call = services.AuthorizationStub(self._channel).Check
        return self._call

    async def check(self, method: str, target: str, headers: Headers) -> Verdict | None:
        import grpc  # noqa: PLC0415

        call = self._stub()
        http = self._pb.AttributeContext.HttpRequest(
            method=method, path=target, headers=_joined(headers)
        )
        request = self._pb.CheckRequest(
            attributes=self._pb.AttributeContext(
                request=self._pb.AttributeContext.Request(http=http)
            )
        )
        try:
            answer = await call(request, timeout=self._timeout_s)
        except grpc.RpcError:
            return None
        if answer.status.code == 0:
            ok = answer.ok_response.headers
            return Verdict(200, [(h.header.key, h.header.value) for h in ok])
        denied = answer.denied_response
        return Verdict(
            denied.status.code or 403,
            [(h.header.key, h.header.value) for h in denied.headers],
            denied.body.encode(),
        )

    async def not_ready(self) -> str | None:
        if self._ready_url is not None:
            async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                return await _readyz(client, self._ready_url)
        verdict = await self.check("GET", "/ready", [])
        if verdict is None:
            return "authorizer unreachable"
        return None if verdict.status == 200 else f"authorizer answered {verdict.status}"

    async def aclose(self) -> None:
        if self._channel is not None:
            await self._channel.close()


def _joined(headers: Headers) -> dict[str, str]:
    """Envoy's map form: lower-case names, repeated headers joined (cookies with "; ")."""
    out: dict[str, str] = {}
    for raw_key, raw_value in headers:
        key, value = raw_key.decode("latin-1").lower(), raw_value.decode("latin-1")
        if key in out:
            value = out[key] + ("; " if key == "cookie" else ",") + value
        out[key] = value
    return out


def authz_check_for(settings: Settings) -> AuthzCheck | None:
    """The edge's way to the authz, from settings; None = this process has no edge."""
    if settings.authz_grpc_addr:
        return GrpcAuthzCheck(settings.authz_grpc_addr, ready_url=settings.authz_ready_url)
    if settings.authz_url:
        return HttpAuthzCheck(settings.authz_url)
    if settings.authz_binary:  # the mesh starts it: ask it as Envoy would
        ready_url = f"http://127.0.0.1:{settings.authz_http_port}/readyz"
        return GrpcAuthzCheck(f"127.0.0.1:{settings.authz_grpc_port}", ready_url=ready_url)
    return None
