"""`CharacterDirectory` over gRPC: eco2.character.v1.CharacterService, as a deployed chat-agent
reaches the character domain (`ECO2_CHARACTER_GRPC_ADDR`) without loading its code.

The stubs come from `protos/` (the shared contract, compiled at first use by the kit's
loader), not from the character package. Every call has a deadline; the status codes become
the chat's errors here, at the boundary: NOT_FOUND / INVALID_ARGUMENT (a user the character
domain does not know) → `CharacterNotFound`; UNAVAILABLE, DEADLINE_EXCEEDED and the other
transient codes → `CharacterServiceUnavailable` (the node's policy retries, then fails open);
anything else → `CharacterServiceError`. The catalog ships with the character service's code,
so it is read once and kept for `catalog_ttl_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc  # type: ignore[import-untyped]  # no stubs shipped

from functions.chat.errors import (
    CharacterNotFound,
    CharacterServiceError,
    CharacterServiceUnavailable,
)
from functions.chat.ports import CharacterCard
from functions.kit import protos

PROTO_FILE = "eco2/character/v1/character.proto"
NOT_FOUND = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT})
TRANSIENT = frozenset({
    grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED, grpc.StatusCode.CANCELLED,
})  # fmt: skip


def chat_error(exc: grpc.aio.AioRpcError) -> Exception:
    """The chat's error for a failed call (the mapping above)."""
    code, detail = exc.code(), f"CharacterService: {exc.code().name} {exc.details() or ''}"
    if code in NOT_FOUND:
        return CharacterNotFound(detail)
    if code in TRANSIENT:
        return CharacterServiceUnavailable(detail)
    return CharacterServiceError(detail)


def card(message: Any) -> CharacterCard:
    return CharacterCard(message.code, message.name, message.type, message.dialog,
                         message.middle_category or None, message.is_default)  # fmt: skip


class GrpcCharacterDirectory:
    """One HTTP/2 channel per process, opened on first use (grpc.aio binds it to the loop)."""

    def __init__(
        self,
        address: str,
        timeout_s: float = 2.0,
        catalog_ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._address = address
        self._timeout_s = timeout_s
        self._catalog_ttl_s = catalog_ttl_s
        self._clock = clock
        self._channel: Any = None
        self._stub: Any = None
        self._pb: Any = None
        self._catalog: tuple[float, list[CharacterCard]] | None = None

    def _connected(self) -> Any:
        if self._stub is None:
            self._pb, services = protos.load(PROTO_FILE)
            self._channel = grpc.aio.insecure_channel(self._address)
            self._stub = services.CharacterServiceStub(self._channel)
        return self._stub

    async def _call(self, method: str, request: Callable[[Any], Any]) -> Any:
        stub = self._connected()
        try:
            return await getattr(stub, method)(request(self._pb), timeout=self._timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise chat_error(exc) from exc

    async def catalog(self) -> list[CharacterCard]:
        now = self._clock()
        if self._catalog is None or now - self._catalog[0] >= self._catalog_ttl_s:
            answer = await self._call("ListCatalog", lambda pb: pb.ListCatalogRequest())
            self._catalog = (now, [card(c) for c in answer.characters])
        return self._catalog[1]

    async def owned(self, user_id: str) -> list[CharacterCard]:
        answer = await self._call("ListOwned", lambda pb: pb.ListOwnedRequest(user_id=user_id))
        return [card(o.character) for o in answer.characters]

    async def aclose(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub = None
