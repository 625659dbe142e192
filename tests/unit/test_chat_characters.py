"""The character sub-agent in process: the character domain's use cases behind the chat's
`CharacterDirectory`, its errors turned into the chat's at the boundary."""

from __future__ import annotations

import uuid

import pytest

from functions.character.catalog import default_catalog
from functions.character.memory_ownership import MemoryOwnershipRepository
from functions.character.model import Ownership
from functions.chat.character_local import LocalCharacterDirectory
from functions.chat.characters import CharacterGuide
from functions.chat.errors import CharacterNotFound, CharacterServiceUnavailable
from functions.kit.errors import UnavailableError
from functions.scan.knowledge.loader import load_knowledge
from functions.users.memory_users import MemoryUserRepository
from tests.support.users import existing_user

KB = load_knowledge()


class DownOwnerships(MemoryOwnershipRepository):
    async def list_for(self, user_id: str) -> list[Ownership]:
        raise UnavailableError("database unreachable")


async def test_what_a_user_owns_and_the_character_a_message_is_about() -> None:
    users = MemoryUserRepository()
    ownerships = MemoryOwnershipRepository(users)
    user = await existing_user(users)
    await ownerships.grant(user, "char-paepy", "scan-job-1")
    directory = LocalCharacterDirectory(default_catalog(), ownerships)
    assert (await directory.catalog())[0].is_default
    described = await CharacterGuide(directory, KB).describe(user, "신문지는 어떻게 버려?")
    assert described is not None and described["owned"] == ["이코", "페이피"]
    assert described["mentioned"]["name"] == "페이피"  # by the item's middle category, 종이


async def test_the_domains_errors_become_the_chats() -> None:
    users = MemoryUserRepository()
    directory = LocalCharacterDirectory(default_catalog(), MemoryOwnershipRepository(users))
    with pytest.raises(CharacterNotFound):
        await directory.owned(str(uuid.uuid4()))  # a user the users domain does not know
    with pytest.raises(CharacterNotFound):
        await directory.owned("not-a-uuid")
    down = LocalCharacterDirectory(default_catalog(), DownOwnerships(users))
    with pytest.raises(CharacterServiceUnavailable):
        await down.owned(await existing_user(users))
    guide = CharacterGuide(directory, KB)
    assert (await guide.describe("not-a-uuid", "안녕")) == {"owned": ["이코"], "mentioned": None}
