"""`/api/v1/users`: the caller's own profile (the edge injected who the caller is)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from functions.kit.identity import CurrentUser
from functions.kit.openapi import errors
from functions.kit.text import Text
from functions.users import services
from functions.users.model import NICKNAME_MAX, InvalidNicknameError, User, normalize_nickname
from functions.users.ports import UserRepository


class Me(BaseModel):
    id: str
    nickname: str
    username: str
    phone_number: str | None
    provider: str


# No control, invisible (format) or private-use character but the emoji joiner, and not blank
# (`normalize_nickname`; `_valid` says it with a clearer message). The format characters of
# the basic plane are listed (Unicode 14); the few astral ones are refused without a mention.
_INVISIBLE = (
    "\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f"
    "\\u0890-\\u0891\\u08e2\\u180e\\u200b\\u200c\\u200e\\u200f\\u202a-\\u202e"
    "\\u2060-\\u2064\\u2066-\\u206f\\ue000-\\uf8ff\\ufeff\\ufff9-\\ufffb"
)
NICKNAME_DOC: JsonDict = {"pattern": f"^[^{_INVISIBLE}]*[^\\s{_INVISIBLE}][^{_INVISIBLE}]*$"}


class NicknameChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    nickname: Text = Field(min_length=1, max_length=NICKNAME_MAX, json_schema_extra=NICKNAME_DOC)

    @field_validator("nickname")
    @classmethod
    def _valid(cls, value: str) -> str:
        """Refused here so the client gets a 422 naming the field, before any write."""
        try:
            return normalize_nickname(value)
        except InvalidNicknameError as exc:
            raise ValueError(f"{exc.detail} (1..{NICKNAME_MAX} characters)") from None


def _me(user: User) -> Me:
    return Me(
        id=user.id,
        nickname=user.nickname,
        username=user.username,
        phone_number=user.phone_number,
        provider=user.provider,
    )


def router(users_repository: UserRepository) -> APIRouter:
    api = APIRouter(tags=["users"])

    @api.get("/me", responses=errors(401, 404))
    async def me(user_id: CurrentUser) -> Me:
        return _me(await services.profile_of(users_repository, user_id))

    @api.patch("/me", responses=errors(401, 404))
    async def change_nickname(user_id: CurrentUser, body: NicknameChange) -> Me:
        return _me(await services.rename(users_repository, user_id, body.nickname))

    return api
