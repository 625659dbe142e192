"""The OpenAPI document is the API: schemathesis, every check on, over the embedded mesh.

The mesh runs in-process (ASGI, schemathesis's own portal runs its lifespan); in front of it a
stand-in for the edge does what the ext-authz does for these routes: it strips client-supplied
identity headers and injects `x-user-id` for the one session the test logged in with the dev
provider. Each operation is fuzzed twice: without a session, and with that session's cookies.
Examples are few and derandomized (a fixed seed), so a run is fast and repeatable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.python import asgi
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.kit.bootstrap import build_registry
from functions.kit.identity import OPERATOR_HEADER, PROVIDER_HEADER, USER_HEADER
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings

ORIGIN = "http://localhost:5173"
EXAMPLES = 25  # per operation and phase: enough to find a mismatch, quick on 2 cores
IDENTITY = {h.encode() for h in (USER_HEADER, PROVIDER_HEADER, OPERATOR_HEADER)}
# A value that is well-formed but names nothing of the caller's is 404 (allowed for valid data).
# Three rules no JSON schema can state may refuse a schema-valid request, so these operations
# may also answer it 400/422: `image_url` must be a `cdn_url` this API issued (and `model` one
# the LLM settings allow); `redirect_uri` must be the callback of the provider in the path; a
# nickname refuses every Unicode "Other" character (format, private use, unassigned), which a
# regex cannot name.
CROSS_FIELD = {"expected-statuses": ["2xx", "3xx", "400", "401", "404", "409", "429", "5xx"]}
NICKNAME = {"expected-statuses": ["2xx", "3xx", "401", "404", "409", "422", "429", "5xx"]}
CONFIG: dict[str, Any] = {
    "seed": 8,
    # Sessions are real or absent: a made-up `s_access` is the Guard's 400 (not a token's
    # characters) or the edge's 401, never what the schema's free-form apiKey promises.
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True,
                   "with-security-parameters": False},
    "checks": {"enabled": True},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
    "max-stream-events": 3,
    "max-redirects": 0,  # the login callback's 302 is the answer, not where it points
    "operations": [
        {"include-path": "/api/v1/scan", "include-method": "POST",
         "checks": {"positive_data_acceptance": CROSS_FIELD}},
        {"include-path": "/api/v1/auth/{provider}", "include-method": "GET",
         "checks": {"positive_data_acceptance": CROSS_FIELD}},
        {"include-path": "/api/v1/users/me", "include-method": "PATCH",
         "checks": {"positive_data_acceptance": NICKNAME}},
        # A cursor is opaque: a schema-valid string this feed did not hand out is 400.
        {"include-path": "/api/v1/info/news", "include-method": "GET",
         "checks": {"positive_data_acceptance": CROSS_FIELD}},
    ],
}  # fmt: skip


class FakeEdge:
    """The ext-authz's effect on a request: identity only from a known session cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.sessions: dict[str, str] = {}  # access token -> user id
        self.requests = 0
        self.identified = 0  # requests let through with the session's identity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
            headers = [(k, v) for k, v in scope["headers"] if k.lower() not in IDENTITY]
            user = self.sessions.get(_cookie(headers, "s_access") or "")
            if user is not None:
                self.identified += 1
                headers.append((USER_HEADER.encode(), user.encode()))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == b"cookie":
            for pair in value.decode("latin-1").split(";"):
                found, _, content = pair.strip().partition("=")
                if found == name:
                    return content
    return None


def _subject(token: str) -> str:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


@pytest.fixture
def edge() -> Iterator[FakeEdge]:
    mesh = Mesh(Settings(mode="embedded"), build_registry())
    yield FakeEdge(mesh.app)
    asgi.shutdown_lifespans()  # the mesh's lifespan ran on schemathesis's portal (its pytest
    # plugin also ends it after each test: each test has its own mesh)


def _load(edge: FakeEdge, **extra: Any) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict({**CONFIG, **extra})
    return schemathesis.openapi.from_asgi("/openapi.json", edge, config=config)


def login(edge: FakeEdge) -> str:
    """A dev-provider login, as the PWA does it; the edge then knows its access token."""
    with asgi.get_client(edge) as client:  # starts the mesh (its lifespan) if need be
        started = client.get("/api/v1/auth/dev", headers={"X-Frontend-Origin": ORIGIN})
        assert started.status_code == 200, started.text
        target = urlsplit(started.json()["data"]["authorization_url"])
        done = client.get(f"{target.path}?{target.query}", allow_redirects=False)
        assert done.status_code == 302, done.text
        token = client.cookies.get("s_access")
    assert token
    edge.sessions[token] = _subject(token)
    return str(token)


@pytest.fixture
def anonymous(edge: FakeEdge) -> schemathesis.BaseSchema:
    return _load(edge)


@pytest.fixture
def logged_in(edge: FakeEdge) -> schemathesis.BaseSchema:
    """The document's `session` scheme filled with a real session: schemathesis sends it,
    and also leaves it out or spoils it to see that the API then refuses (`ignored_auth`)."""
    token = login(edge)
    return _load(edge, auth={"openapi": {"session": {"api_key": token}}})


FAST = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip


def fuzz(api: schemathesis.BaseSchema) -> list[str]:
    """Every operation's examples, coverage and fuzzing phases; the failures, by operation."""

    def check(case: schemathesis.Case) -> None:
        case.call_and_validate()

    failures = []
    for result in get_all_tests(schema=api, test_func=check, settings=FAST, given_kwargs={}):
        operation, test = result.ok()
        try:
            test()
        except (Exception, BaseExceptionGroup) as exc:  # checks failed: kept with the operation
            failures.append(f"{operation.label}: {exc}")
    return failures


def test_the_document_holds_without_a_session(
    anonymous: schemathesis.BaseSchema, edge: FakeEdge
) -> None:
    failures = fuzz(anonymous)
    assert not failures, "\n\n".join(failures)
    assert edge.requests > 20 * len(list(anonymous.get_all_operations()))  # it did fuzz
    assert edge.identified == 0


def test_the_document_holds_for_a_logged_in_user(
    logged_in: schemathesis.BaseSchema, edge: FakeEdge
) -> None:
    failures = fuzz(logged_in)
    assert not failures, "\n\n".join(failures)
    assert edge.requests > 20 * len(list(logged_in.get_all_operations()))
    assert edge.identified > 100  # most requests carried the session
