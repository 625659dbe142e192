"""`eco2` operator commands against a server on loopback: the operator token goes as a bearer
token to the internal listener, and a refusal is an error (exit 1), not output."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from functions.auth import keys
from functions.auth.operator import write_local_credential
from functions.kit.cli import main
from tests.support.loopback import serve

GOOD = "good-operator-token"
LETTERS = [{"id": "dl-1", "trigger": "scan-vision", "attempts": 3}]


@dataclass
class Seen:
    """What the fake internal listener received."""

    requests: list[dict[str, Any]] = field(default_factory=list)


def _admin_app(seen: Seen) -> FastAPI:
    """The operator routes as the edge + mesh answer them: 401 without a token, 404 for a
    token that is not an operator's."""
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        body = await request.body()
        seen.requests.append({
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "authorization": request.headers.get("authorization"),
            "json": json.loads(body) if body else None,
        })  # fmt: skip
        auth = request.headers.get("authorization")
        if auth is None:
            return JSONResponse({"detail": "Authentication required", "code": "TOKEN_MISSING"}, 401)
        if auth != f"Bearer {GOOD}":
            return JSONResponse({"detail": "Not Found", "code": "NOT_FOUND"}, 404)
        return await call_next(request)

    @app.get("/admin/dead-letters")
    async def listed() -> list[dict[str, Any]]:
        return LETTERS

    @app.post("/admin/dead-letters/replay")
    async def replayed(request: Request) -> dict[str, int]:
        ids = (await request.json())["ids"]
        return {"replayed": len(ids) if ids is not None else 5}

    @app.post("/admin/canary")
    async def canary() -> dict[str, Any]:
        return {"probe_id": "p-1", "round_trip_ms": 1.5}

    return app


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No operator token from the machine running the tests; the credential file is ours."""
    for name in ("ECO2_OPERATOR_TOKEN", "ECO2_JWT_PRIVATE_KEY", "ECO2_INTERNAL_PORT"):
        monkeypatch.delenv(name, raising=False)
    credential = tmp_path / "state" / "operator-token"
    monkeypatch.setenv("ECO2_OPERATOR_TOKEN_FILE", str(credential))
    return credential


@pytest.fixture
async def admin(env: Path) -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()
    async with serve(_admin_app(seen)) as url:
        yield url, seen


async def _eco2(argv: Sequence[str]) -> int:
    """The command as a user runs it (its own event loop), off the loop serving the fake."""
    return await asyncio.to_thread(main, list(argv))


async def test_dead_letters_list_sends_the_token_to_the_given_url(
    admin: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    url, seen = admin
    assert await _eco2(["dead-letters", "list", "--url", url, "--token", GOOD, "--limit", "7"]) == 0
    assert json.loads(capsys.readouterr().out) == LETTERS
    expected = {"method": "GET", "path": "/admin/dead-letters", "query": {"limit": "7"},
                "authorization": f"Bearer {GOOD}", "json": None}  # fmt: skip
    assert seen.requests == [expected]


async def test_replay_and_canary_send_the_token(
    admin: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    url, seen = admin
    argv = ["dead-letters", "replay", "--url", url, "--token", GOOD, "--id", "a", "--id", "b"]
    assert await _eco2(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"replayed": 2}
    assert await _eco2(["canary", "--url", url, "--token", GOOD]) == 0
    assert json.loads(capsys.readouterr().out)["probe_id"] == "p-1"
    assert [(r["method"], r["path"], r["authorization"], r["json"]) for r in seen.requests] == [
        ("POST", "/admin/dead-letters/replay", f"Bearer {GOOD}", {"ids": ["a", "b"]}),
        ("POST", "/admin/canary", f"Bearer {GOOD}", None),
    ]


async def test_token_from_the_setting_then_the_credential_file(
    admin: tuple[str, Seen], env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = admin
    write_local_credential(env, "from-file")
    assert await _eco2(["canary", "--url", url]) == 1  # the file's token is not an operator's
    monkeypatch.setenv("ECO2_OPERATOR_TOKEN", GOOD)
    assert await _eco2(["canary", "--url", url]) == 0
    assert await _eco2(["canary", "--url", url, "--token", "explicit"]) == 1
    sent = [r["authorization"] for r in seen.requests]
    assert sent == ["Bearer from-file", f"Bearer {GOOD}", "Bearer explicit"]


async def test_a_refusal_prints_the_error_and_exits_1(
    admin: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    url, seen = admin
    assert await _eco2(["dead-letters", "list", "--url", url, "--token", "user-token"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "404 NOT_FOUND: Not Found" in err
    assert await _eco2(["canary", "--url", url]) == 1  # no token anywhere: none is sent
    out, err = capsys.readouterr()
    assert out == "" and "401 TOKEN_MISSING" in err and "eco2 operator-token" in err
    assert seen.requests[-1]["authorization"] is None


async def test_the_url_defaults_to_the_internal_listener(
    admin: tuple[str, Seen], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = admin
    monkeypatch.setenv("ECO2_INTERNAL_PORT", url.rsplit(":", 1)[1])
    monkeypatch.setenv("ECO2_OPERATOR_TOKEN", GOOD)
    assert await _eco2(["canary"]) == 0
    assert await _eco2(["dead-letters", "list", "--url"]) == 0  # a bare --url: the listener
    assert [r["path"] for r in seen.requests] == ["/admin/canary", "/admin/dead-letters"]


async def test_an_unreachable_mesh_is_an_error_not_a_traceback(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert await _eco2(["canary", "--url", f"http://127.0.0.1:{port}", "--token", GOOD]) == 1
    assert f"POST http://127.0.0.1:{port}/admin/canary" in capsys.readouterr().err


def test_operator_token_is_minted_with_the_configured_key(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = keys.generate()
    monkeypatch.setenv("ECO2_JWT_PRIVATE_KEY", keys.private_pem(key))
    assert main(["operator-token", "--name", "alice", "--ttl", "120", "--save"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    claims = jwt.decode(token, key.public_key(), algorithms=["ES256"], audience="eco2-api")
    assert claims["sub"] == "operator:alice" and claims["roles"] == ["operator"]
    assert claims["exp"] - claims["iat"] == 120
    assert env.read_text().strip() == token and stat.S_IMODE(env.stat().st_mode) == 0o600
    assert str(env) in err


def test_operator_token_needs_a_configured_key(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["operator-token", "--name", "alice"]) == 2
    assert "ECO2_JWT_PRIVATE_KEY" in capsys.readouterr().err
    assert not env.exists()


def test_operator_token_refuses_a_bad_name(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECO2_JWT_PRIVATE_KEY", keys.private_pem(keys.generate()))
    assert main(["operator-token", "--name", "bad name"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "operator name" in err
