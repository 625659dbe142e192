"""Who is calling: the user id the edge (ext-authz) injected, and nothing else.

The authorizer strips any client-supplied `x-user-id` and sets it from a verified access
token, so domain code trusts this header alone. A request without it never passed the edge.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from functions.kit.errors import UnauthenticatedError

USER_HEADER = "x-user-id"
PROVIDER_HEADER = "x-auth-provider"


async def _current_user(x_user_id: Annotated[str | None, Header()] = None) -> str:
    if not x_user_id:
        raise UnauthenticatedError("authentication required")
    return x_user_id


CurrentUser = Annotated[str, Depends(_current_user)]
