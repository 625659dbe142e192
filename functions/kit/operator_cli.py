"""The operator's commands: dead letters, the canary and operator tokens.

They talk to the internal listener as an operator (a bearer token with the operator role:
`--token`, else ECO2_OPERATOR_TOKEN, else the credential file a running mesh writes), or, for
dead letters without `--url`, to RabbitMQ directly with the AMQP credentials.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx

from functions.kit.bootstrap import build_container, build_registry
from functions.kit.settings import Settings

NO_TOKEN_HINT = (
    "no operator token: pass --token, set ECO2_OPERATOR_TOKEN, or run `eco2 operator-token "
    "--name NAME --save` (a running embedded mesh writes one for operator:local)"
)


def _operator_token(explicit: str | None, settings: Settings) -> str | None:
    """--token, else ECO2_OPERATOR_TOKEN, else the credential file (a running mesh's)."""
    from functions.auth.operator import credential_path, read_local_credential  # noqa: PLC0415

    if explicit:
        return explicit
    if settings.operator_token:
        return settings.operator_token
    return read_local_credential(credential_path(settings.operator_token_file))


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body['code']}: {body['detail']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:500]


async def _operator_call(
    url: str | None, token: str | None, method: str, path: str, **kwargs: Any
) -> httpx.Response | None:
    """One operator request on the internal listener, as the operator; None (and the reason
    on stderr) unless it answered 2xx."""
    settings = Settings()
    base = url or f"http://127.0.0.1:{settings.internal_port}"
    token = _operator_token(token, settings)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=70) as http:
            response = await http.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        print(f"eco2: {method} {base}{path}: {exc or type(exc).__name__}", file=sys.stderr)
        return None
    if response.is_success:
        return response
    print(f"eco2: {method} {base}{path}: {response.status_code} {_error_text(response)}",
          file=sys.stderr)  # fmt: skip
    if token is None:
        print(NO_TOKEN_HINT, file=sys.stderr)
    return None


async def _dead_letters_http(args: argparse.Namespace) -> int:
    if args.action == "list":
        params = {"limit": args.limit}
        response = await _operator_call(args.url, args.token, "GET", "/admin/dead-letters",
                                        params=params)  # fmt: skip
    else:
        body = {"ids": args.ids}
        response = await _operator_call(args.url, args.token, "POST",
                                        "/admin/dead-letters/replay", json=body)  # fmt: skip
    if response is None:
        return 1
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0


async def dead_letters(args: argparse.Namespace) -> int:
    if args.url is not None:
        return await _dead_letters_http(args)
    settings = Settings(mode="real")
    container = build_container(settings, build_registry(domains=["kit"]))
    try:
        broker = await container.get("dead_letters")  # straight to RabbitMQ: AMQP credentials
        if args.action == "replay":
            print(json.dumps({"replayed": await broker.replay(args.ids)}))
            return 0
        for d in await broker.dead_letters(args.limit):
            event_id = d.event["id"] if d.event is not None else None
            print(
                json.dumps(
                    {
                        "id": d.id,
                        "trigger": d.trigger,
                        "event_id": event_id,
                        "attempts": d.attempts,
                        "error": d.error,
                        "failed_at": d.failed_at.isoformat(),
                    },
                    ensure_ascii=False,
                )
            )
    finally:
        await container.close()
    return 0


async def canary(args: argparse.Namespace) -> int:
    response = await _operator_call(args.url, args.token, "POST", "/admin/canary")
    if response is None:
        return 1
    print(response.text)
    return 0


def mint_operator_token(args: argparse.Namespace) -> int:
    """A token for operator:<name>, signed with the configured key (ECO2_JWT_PRIVATE_KEY)."""
    from functions.auth import keys, operator  # noqa: PLC0415 - only this command needs them

    settings = Settings()
    if not settings.jwt_private_key:
        print("eco2 operator-token: no signing key configured (ECO2_JWT_PRIVATE_KEY); an "
              "embedded mesh signs with a key of its own run and writes a token for "
              "operator:local to the credential file itself", file=sys.stderr)  # fmt: skip
        return 2
    try:
        tokens = operator.operator_tokens(keys.keyring_from_settings(settings), settings)
        token = operator.mint_operator(tokens, args.name, args.ttl)
    except ValueError as exc:
        print(f"eco2 operator-token: {exc}", file=sys.stderr)
        return 2
    if args.save:
        path = operator.credential_path(settings.operator_token_file)
        print(f"saved to {operator.write_local_credential(path, token)}", file=sys.stderr)
    print(token)
    return 0
