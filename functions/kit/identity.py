"""Who is calling: the identity the edge (ext-authz) injected, and nothing else.

The authorizer strips any client-supplied `x-user-id` / `x-auth-provider` / `x-operator` and
sets them from a verified access token, so domain code trusts these headers alone. A request
without them never passed the edge. `x-operator` is set only on operator paths (`/admin/`) for
a token carrying the operator role. The header parameters are not client headers, so they
stay out of the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from functions.kit.errors import UnauthenticatedError

USER_HEADER = "x-user-id"
PROVIDER_HEADER = "x-auth-provider"
OPERATOR_HEADER = "x-operator"


class OperatorRequiredError(UnauthenticatedError):
    """An operator route reached without the operator identity the edge injects."""

    code = "OPERATOR_REQUIRED"


async def _current_user(
    x_user_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    if not x_user_id:
        raise UnauthenticatedError("authentication required")
    return x_user_id


async def _current_operator(
    x_operator: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    if not x_operator or not x_operator.strip():
        raise OperatorRequiredError("operator identity required")
    return x_operator.strip()


current_user = _current_user  # the dependency itself: the OpenAPI document marks its routes
CurrentUser = Annotated[str, Depends(_current_user)]
CurrentOperator = Annotated[str, Depends(_current_operator)]
