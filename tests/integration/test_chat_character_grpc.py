"""The chat's character sub-agent over gRPC, against the real CharacterService (grpc.aio)
started in process on a loopback port: what it answers, NOT_FOUND as the chat's not-found
path (the default character), UNAVAILABLE and a missed deadline as the node's failure under
its policy (retried once, then open: the run answers without it); and the mesh wired to
call its own CharacterService (`ECO2_GRPC_PORT` + `ECO2_CHARACTER_GRPC_ADDR`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from functions.character.catalog import default_catalog
from functions.character.grpc_server import GrpcServer, start_server
from functions.character.memory_ownership import MemoryOwnershipRepository
from functions.character.model import Ownership
from functions.chat.agent import respond
from functions.chat.character_grpc import GrpcCharacterDirectory
from functions.chat.character_local import LocalCharacterDirectory
from functions.chat.characters import CharacterGuide
from functions.chat.errors import CharacterNotFound, CharacterServiceUnavailable
from functions.kit.bootstrap import build_registry
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from functions.scan.knowledge.loader import load_knowledge
from functions.users.memory_users import MemoryUserRepository
from tests.load.sse.harness import base_url, read_sse, serve
from tests.support.chat import rig, sources, stream_of, submit
from tests.support.loopback import free_port
from tests.support.users import existing_user

pytestmark = pytest.mark.integration
KB = load_knowledge()
ASK = "페이피 캐릭터는 어떻게 모을 수 있어?"


class HangingOwnerships(MemoryOwnershipRepository):
    """An ownership store that never answers a read: the server's call outlives any deadline."""

    async def list_for(self, user_id: str) -> list[Ownership]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.fixture
def users() -> MemoryUserRepository:
    return MemoryUserRepository()


@pytest.fixture
def ownerships(users: MemoryUserRepository) -> MemoryOwnershipRepository:
    return MemoryOwnershipRepository(users)


async def serving(repo: MemoryOwnershipRepository) -> GrpcServer:
    return await start_server(repo, default_catalog(), "127.0.0.1", 0)


@pytest.fixture
async def remote(ownerships: MemoryOwnershipRepository) -> AsyncIterator[GrpcCharacterDirectory]:
    server = await serving(ownerships)
    directory = GrpcCharacterDirectory(f"127.0.0.1:{server.port}", timeout_s=5.0)
    try:
        yield directory
    finally:
        await directory.aclose()
        await server.stop(0)


async def test_it_answers_what_the_user_owns_as_the_in_process_directory_does(
    remote: GrpcCharacterDirectory,
    users: MemoryUserRepository,
    ownerships: MemoryOwnershipRepository,
) -> None:
    user = await existing_user(users)
    await ownerships.grant(user, "char-paepy", "scan-job-1")
    local = LocalCharacterDirectory(default_catalog(), ownerships)
    assert await remote.catalog() == await local.catalog()
    assert await remote.owned(user) == await local.owned(user)
    described = await CharacterGuide(remote, KB).describe(user, ASK)
    assert described is not None and described["owned"] == ["이코", "페이피"]
    assert described["mentioned"]["name"] == "페이피"
    assert described["mentioned"]["earned_by"] == "종이"


async def test_not_found_is_the_chats_not_found_path(remote: GrpcCharacterDirectory) -> None:
    stranger = str(uuid.uuid4())  # a UUID the users domain never created: NOT_FOUND
    with pytest.raises(CharacterNotFound, match="NOT_FOUND"):
        await remote.owned(stranger)
    with pytest.raises(CharacterNotFound, match="INVALID_ARGUMENT"):
        await remote.owned("not-a-uuid")
    described = await CharacterGuide(remote, KB).describe(stranger, ASK)
    assert described is not None and described["owned"] == ["이코"]  # the default only
    assert described["mentioned"]["name"] == "페이피"


async def answer_without_characters(directory: GrpcCharacterDirectory) -> str:
    """A chat turn asking about a character: the node fails under its policy (open)."""
    r = rig(sources(characters=CharacterGuide(directory, KB)))
    data = await submit(r, ASK)
    answered = await respond(data, r.bus, r.repo, r.agent)
    assert answered is not None and "character" in answered.intents
    events = await stream_of(r.bus, data.job_id)
    node = [d for n, d in events if n == "character" and d["status"] == "completed"]
    assert node[0]["message"] == "정보를 가져오지 못했어요"
    assert events[-1][1]["status"] == "completed"  # the run goes on: fail open
    return str(events[-1][1]["result"]["answer"])


async def test_unavailable_is_the_nodes_failure_and_the_run_goes_on(
    ownerships: MemoryOwnershipRepository,
) -> None:
    server = await serving(ownerships)
    await server.stop(0)  # nothing listens on that port any more
    directory = GrpcCharacterDirectory(f"127.0.0.1:{server.port}", timeout_s=5.0)
    try:
        with pytest.raises(CharacterServiceUnavailable, match="UNAVAILABLE"):
            await directory.catalog()
        assert "캐릭터 정보를 가져오지 못했어요" in await answer_without_characters(directory)
    finally:
        await directory.aclose()


async def test_a_missed_deadline_is_unavailable_too(users: MemoryUserRepository) -> None:
    server = await serving(HangingOwnerships(users))
    directory = GrpcCharacterDirectory(f"127.0.0.1:{server.port}", timeout_s=0.2)
    try:
        assert len(await directory.catalog()) == len(default_catalog())  # the server is up
        with pytest.raises(CharacterServiceUnavailable, match="DEADLINE_EXCEEDED"):
            await directory.owned(str(uuid.uuid4()))
        assert "캐릭터 정보를 가져오지 못했어요" in await answer_without_characters(directory)
    finally:
        await directory.aclose()
        await server.stop(0)


async def test_the_mesh_wires_the_chat_to_its_character_service_over_grpc() -> None:
    """The one-process mesh serving CharacterService, and the chat configured to call it: a
    turn through HTTP and SSE answers with the character, via the gRPC adapter."""
    port = free_port()
    mesh = Mesh(Settings(grpc_port=port, character_grpc_addr=f"127.0.0.1:{port}"),
                build_registry())  # fmt: skip
    user = {"x-user-id": str(uuid.uuid4())}  # no such user: NOT_FOUND, the default character
    async with (
        serve(mesh.app) as server,
        httpx.AsyncClient(base_url=base_url(server), timeout=30, headers=user) as http,
    ):
        assert mesh.runtime is not None and mesh.grpc is not None and mesh.grpc.port == port
        wired = await mesh.runtime.container.get("chat_character_directory")
        assert isinstance(wired, GrpcCharacterDirectory)
        chat = (await http.post("/api/v1/chat")).json()["id"]
        sent = await http.post(f"/api/v1/chat/{chat}/messages", json={"message": ASK})
        assert sent.status_code == 202, sent.text
        frames = await read_sse(http, sent.json()["stream_url"], user["x-user-id"])
    answer = frames[-1].data["result"]["answer"]
    assert "**페이피**" in answer and "지금 모은 캐릭터: 이코" in answer


async def test_the_catalog_is_kept_for_its_ttl_then_asked_again(
    ownerships: MemoryOwnershipRepository,
) -> None:
    now = [0.0]
    server = await serving(ownerships)
    directory = GrpcCharacterDirectory(f"127.0.0.1:{server.port}", timeout_s=5.0,
                                       catalog_ttl_s=300.0, clock=lambda: now[0])  # fmt: skip
    try:
        first = await directory.catalog()
        await server.stop(0)
        now[0] = 299.0
        assert await directory.catalog() == first  # kept: the server is not asked
        now[0] = 300.0
        with pytest.raises(CharacterServiceUnavailable):
            await directory.catalog()  # expired: asked again, and it is gone
    finally:
        await directory.aclose()
