"""CharacterService over gRPC (grpc.aio) for internal callers: the chat agent, the scan step.

It serves from the same ports and use cases as the HTTP API, so an answer never depends on
the door it came through. Domain errors become gRPC status codes: an unknown character code
is NOT_FOUND, a user id that is not a UUID is INVALID_ARGUMENT, an outage is UNAVAILABLE.

Locally the mesh starts it when `ECO2_GRPC_PORT` is set; deployed, it is its own process:

    ECO2_MODE=real ECO2_HOST=0.0.0.0 ECO2_GRPC_PORT=8080 python -m functions.character.grpc_server
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc  # type: ignore[import-untyped]  # no stubs shipped
from google.protobuf.timestamp_pb2 import Timestamp

from functions.character import proto, services
from functions.character.model import (
    Character,
    CharacterCatalog,
    InvalidUserIdError,
    OwnedCharacter,
    UnknownCharacterError,
)
from functions.character.ports import OwnershipRepository
from functions.kit.container import Container
from functions.kit.errors import BadRequestError, Eco2Error, NotFoundError, UnavailableError

log = logging.getLogger(__name__)
Reply = TypeVar("Reply")
Method = Callable[[Any, Any, Any], Awaitable[Reply]]  # (servicer, request, context)
# Most specific first; anything else is INTERNAL (and logged).
_STATUS: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (UnknownCharacterError, grpc.StatusCode.NOT_FOUND),
    (InvalidUserIdError, grpc.StatusCode.INVALID_ARGUMENT),
    (BadRequestError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
)


def _status_of(exc: Eco2Error) -> grpc.StatusCode:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), grpc.StatusCode.INTERNAL)


def _translated(method: Method[Reply]) -> Method[Reply]:
    """Answer domain errors with their status code and detail instead of UNKNOWN."""

    @functools.wraps(method)
    async def wrapper(
        self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> Reply:
        try:
            return await method(self, request, context)
        except Eco2Error as exc:
            code = _status_of(exc)
            if code is grpc.StatusCode.INTERNAL:
                log.error("%s failed", method.__name__, exc_info=exc)
            await context.abort(code, exc.detail)
            raise AssertionError("context.abort returned") from exc  # it always raises

    return wrapper


class CharacterServicer:
    """Implements eco2.character.v1.CharacterService (method names are the RPC names)."""

    def __init__(self, repo: OwnershipRepository, catalog: CharacterCatalog) -> None:
        self._repo = repo
        self._catalog = catalog
        self._pb, _ = proto.modules()

    def _character(self, character: Character) -> Any:
        return self._pb.Character(
            id=character.id,
            code=character.code,
            name=character.name,
            type=character.type,
            dialog=character.dialog,
            middle_category=character.middle_category or "",
            is_default=character.is_default,
        )

    def _owned(self, owned: OwnedCharacter) -> Any:
        acquired_at = Timestamp()
        acquired_at.FromDatetime(owned.ownership.acquired_at)
        return self._pb.OwnedCharacter(
            character=self._character(owned.character),
            acquired_at=acquired_at,
            source=owned.ownership.source,
        )

    @_translated
    async def ListCatalog(self, request: Any, context: Any) -> Any:
        return self._pb.ListCatalogResponse(characters=[self._character(c) for c in self._catalog])

    @_translated
    async def GetCharacter(self, request: Any, context: Any) -> Any:
        return self._character(self._catalog.get(request.code))

    @_translated
    async def CharacterForCategory(self, request: Any, context: Any) -> Any:
        found = self._catalog.character_for(request.middle_category)
        if found is None:
            raise NotFoundError(f"no character for middle category {request.middle_category!r}")
        return self._character(found)

    @_translated
    async def ListOwned(self, request: Any, context: Any) -> Any:
        owned = await services.owned_characters(self._repo, self._catalog, request.user_id)
        return self._pb.ListOwnedResponse(characters=[self._owned(o) for o in owned])

    @_translated
    async def Owns(self, request: Any, context: Any) -> Any:
        found = await services.owns(self._repo, self._catalog, request.user_id, request.code)
        return self._pb.OwnsResponse(owns=found)


@dataclass
class GrpcServer:
    server: grpc.aio.Server
    port: int  # the bound port (useful when 0 asked for any free one)

    async def stop(self, grace_s: float = 2.0) -> None:
        await self.server.stop(grace_s)


async def start_server(
    repo: OwnershipRepository, catalog: CharacterCatalog, host: str, port: int
) -> GrpcServer:
    """Serve CharacterService on host:port (plaintext h2c: Knative's mesh terminates TLS)."""
    _, grpc_services = proto.modules()
    server = grpc.aio.server()
    grpc_services.add_CharacterServiceServicer_to_server(CharacterServicer(repo, catalog), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    log.info("CharacterService listening on %s:%d", host, bound)
    return GrpcServer(server, bound)


async def start_for(container: Container) -> GrpcServer:
    """Start on `settings.grpc_port` with the container's adapters; closing it stops it."""
    settings = container.settings
    server = await start_server(
        await container.get("character_ownerships"),
        await container.get("character_catalog"),
        settings.host,
        settings.grpc_port or 0,
    )
    container.on_close(server.stop)
    return server


async def main() -> None:
    """The deployed process: serve until SIGTERM, then drain in-flight calls."""
    from functions.kit.bootstrap import build_container, build_registry  # noqa: PLC0415
    from functions.kit.settings import Settings  # noqa: PLC0415

    settings = Settings()
    if settings.grpc_port is None:
        raise SystemExit("set ECO2_GRPC_PORT to the port to serve CharacterService on")
    container = build_container(settings, build_registry())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await start_for(container)
        await stop.wait()
    finally:
        await container.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())
