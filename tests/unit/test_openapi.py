"""The public OpenAPI document: no internal header or path, every error answer an ErrorBody."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from functions.kit import http
from functions.kit.bootstrap import build_registry
from functions.kit.identity import OPERATOR_HEADER, PROVIDER_HEADER, USER_HEADER
from functions.kit.mesh import Mesh
from functions.kit.openapi import ERROR_REF, error_statuses, errors
from functions.kit.settings import Settings

INTERNAL = ("/ingress", "/internal", "/admin", "/media")
# The edge lets these through without a session (authz/internal/decision/public.go).
EDGE_PUBLIC = ("/health", "/ready", "/api/v1/auth/")


@pytest.fixture
async def document() -> AsyncIterator[dict[str, Any]]:
    mesh = Mesh(Settings(mode="embedded"), build_registry())
    await mesh.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=mesh.app), base_url="http://mesh"
        ) as client:
            found = await client.get("/openapi.json")
        assert found.status_code == 200
        yield found.json()
    finally:
        await mesh.close()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_no_identity_header_is_a_client_parameter(document: dict[str, Any]) -> None:
    internal = {USER_HEADER, PROVIDER_HEADER, OPERATOR_HEADER}
    named = {
        p["name"].lower()
        for _, _, operation in _operations(document)
        for p in operation.get("parameters", [])
    }
    assert named  # the document does list parameters...
    assert not named & internal  # ...but none the edge injects


def test_every_error_answer_is_an_error_body(document: dict[str, Any]) -> None:
    found = list(error_statuses(document))
    assert len(found) > 30
    for path, method, status, response in found:
        if (path, status) == ("/ready", "503"):
            continue  # a probe's answer: the readiness body, by design
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": ERROR_REF}, (method, path, status)
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"detail", "code"}


def test_only_the_pwa_api_is_documented(document: dict[str, Any]) -> None:
    paths = set(document["paths"])
    assert {"/health", "/ready", "/api/v1/users/me", "/api/v1/scan"} <= paths
    assert not [p for p in paths if p.startswith(INTERNAL)]
    assert all(p.startswith("/api/v1/") or p in ("/health", "/ready") for p in paths)


def test_routes_behind_the_edge_document_the_session_and_401(document: dict[str, Any]) -> None:
    for path, method, operation in _operations(document):
        if not path.startswith(EDGE_PUBLIC):
            assert "401" in operation["responses"], (method, path)
            assert operation["security"] == [{"session": []}], (method, path)
        else:
            assert "security" not in operation, (method, path)
    assert document["components"]["securitySchemes"]["session"]["name"] == "s_access"


def test_sse_is_an_event_stream(document: dict[str, Any]) -> None:
    ok = document["paths"]["/api/v1/scan/{job_id}/events"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/event-stream"]


class Thing(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI()
    http.install(app)
    api = APIRouter()

    @api.get("/api/v1/things/{thing_id}", responses=errors(404, 429))
    async def read(thing_id: int) -> Thing:
        return Thing(name=str(thing_id))

    @api.patch("/api/v1/things/{thing_id}")
    async def rename(thing_id: int, body: Thing) -> Thing:
        return body

    @api.post("/internal/things")
    async def internal() -> None:
        return None

    app.include_router(api)
    return app


def test_a_route_says_its_errors_and_the_kit_adds_its_own() -> None:
    doc = _app().openapi()
    read = doc["paths"]["/api/v1/things/{thing_id}"]["get"]["responses"]
    assert {"200", "400", "404", "413", "422", "429", "503"} == set(read)
    assert read["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    rename = doc["paths"]["/api/v1/things/{thing_id}"]["patch"]["responses"]
    assert rename["422"]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    assert "/internal/things" not in doc["paths"]


async def test_a_405_allows_every_method_of_the_path() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app()), base_url="http://app"
    ) as client:
        refused = await client.delete("/api/v1/things/1")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, PATCH"
    assert refused.json()["code"] == "METHOD_NOT_ALLOWED"


def test_an_internal_only_app_documents_its_own_routes() -> None:
    app = FastAPI()
    http.install(app)

    @app.post("/internal/things")
    async def internal() -> None:
        return None

    assert set(app.openapi()["paths"]) == {"/internal/things"}
