"""The public OpenAPI document: what the PWA may call, and every answer it can get.

Routes say in their decorators which error statuses they answer (`responses=errors(401, 404)`);
this module adds what the kit and the edge answer on every route (400 for malformed bytes, 413
for an oversized body, 422 for a failed validation, 503 from the edge), always with the
contract's `{"detail", "code"}` body: FastAPI's own 422 schema (an array) is not what the kit
answers. Internal surfaces (ingress, /internal, /admin, /media) are left out: they are not the
PWA's API, and the document is what clients and the fuzzer trust.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from functions.kit.identity import current_user

PUBLIC_PREFIX = "/api/v1/"
PUBLIC_PATHS = ("/health", "/ready")
CODE_PATTERN = r"^[A-Z][A-Z0-9_]*$"
ERROR_REF = "#/components/schemas/ErrorBody"
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ErrorBody(BaseModel):
    """Every error answer: a human message and a stable machine code."""

    detail: str = Field(description="A human-readable message")
    code: str = Field(pattern=CODE_PATTERN, description="UPPER_SNAKE error code")


class Readiness(BaseModel):
    """`GET /ready`'s body, 200 when ready and 503 when not (probes read the status)."""

    ready: bool
    detail: str | None = None
    functions: int
    mode: str
    serve: str
    consuming: list[str]
    modules: int
    edge: str | None = Field(
        default=None,
        description="With an edge: `ready`, or why its authorizer cannot decide (then 503)",
    )


DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: malformed bytes (control characters, non-ASCII headers) or a value "
    "the route refuses",
    401: "Not logged in: the access token is missing, expired or revoked (refresh, then retry)",
    404: "Unknown, or not the caller's",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation failed: `detail` names the fields",
    429: "Too many requests: wait `Retry-After` seconds",
    503: "Temporarily unavailable (a dependency, or the authorizer at the edge)",
    504: "A dependency timed out",
}
RETRY_AFTER: dict[str, Any] = {
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def error_response(status: int, description: str | None = None) -> dict[str, Any]:
    """One documented error status: the `ErrorBody` schema (and Retry-After on a 429)."""
    found: dict[str, Any] = {
        "model": ErrorBody,
        "description": description or DESCRIPTIONS.get(status, "Error"),
    }
    if status == 429:
        found["headers"] = RETRY_AFTER
    return found


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route decorator: each error status it can answer, as ErrorBody."""
    return {status: error_response(status) for status in statuses}


SESSION_SCHEME: dict[str, Any] = {
    "type": "apiKey",
    "in": "cookie",
    "name": "s_access",
    "description": "The session: the access token cookie set by the login callback and "
    "`/api/v1/auth/refresh`; the edge verifies it and answers 401 without a valid one",
}


def install(app: FastAPI) -> None:
    """Serve the public document (built once, after every router is mounted) as `app.openapi`,
    and make a 405's `Allow` list every method of the path (Starlette names only the first
    route's, so `/users/me` would claim GET alone)."""

    async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        methods = allowed_methods(app, request.url.path) or [(exc.headers or {}).get("Allow", "")]
        body = {"detail": str(exc.detail), "code": "METHOD_NOT_ALLOWED"}
        return JSONResponse(body, status_code=405, headers={"Allow": ", ".join(methods)})

    app.add_exception_handler(405, method_not_allowed)

    built: dict[int, dict[str, Any]] = {}  # by route count: routers mount after creation

    def openapi() -> dict[str, Any]:
        routes = len(public_routes(app))
        if routes not in built:
            built.clear()
            built[routes] = document(app)
        return built[routes]

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the documented routes of `path` answer (HEAD with GET), sorted; a static
    path's own routes win over templates that also match it (`/auth/refresh`, `/{provider}`)."""
    static: set[str] = set()
    templated: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route, pattern = context.original_route, context.path or ""
        if not isinstance(route, APIRoute) or not route.include_in_schema or not route.methods:
            continue
        if compile_path(pattern)[0].fullmatch(path):
            methods = route.methods | ({"HEAD"} if "GET" in route.methods else set())
            (templated if "{" in pattern else static).update(methods)
    return sorted(static or templated)


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIX) or path in PUBLIC_PATHS


def public_routes(app: FastAPI) -> list[RouteContext]:
    """The routes the document covers: the PWA's API where the app serves it; an app that
    serves none of it (the internal listener) documents its own routes for its operators."""
    api = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
    public = [c for c in api if is_public(c.path or "") and c.path not in PUBLIC_PATHS]
    return [c for c in api if is_public(c.path or "")] if public else api


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app`'s public routes, errors normalised to ErrorBody."""
    routes = public_routes(app)
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=routes,
    )
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_422:
        schemas.pop(name, None)
    schemas.update(_component_schemas(ErrorBody, Readiness))
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                _normalise(path, item[method])
    doc["components"]["securitySchemes"] = {"session": SESSION_SCHEME}
    for found in routes:
        route = found.original_route
        if isinstance(route, APIRoute) and _uses(route.dependant, current_user):
            for method in route.methods or ():
                operation = doc["paths"][found.path or ""].get(method.lower())
                if operation is not None:
                    operation["security"] = [{"session": []}]
    return doc


def _uses(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether `call` is among a route's dependencies, however deep."""
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


def _component_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found


def _normalise(path: str, operation: dict[str, Any]) -> None:
    """Kit- and edge-wide answers added, and every error answer made an ErrorBody."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    added = [400, 413]  # the Guard's: malformed bytes, and a body over the limit (any method)
    if "requestBody" in operation or operation.get("parameters"):
        added.append(422)
    else:  # FastAPI's 422 for a hidden parameter (the edge's identity header) cannot happen
        responses.pop("422", None)
    if path.startswith(PUBLIC_PREFIX):
        added.append(503)  # the edge fails closed when the authorizer is unreachable
    if path == "/ready":
        _ready(responses)
    for code in added:
        responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400 and not _is_readiness(path, status):
            response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}}}
            if status == "429":
                response.setdefault("headers", RETRY_AFTER)
    # 422 is the validation answer: described as such whatever FastAPI wrote.
    if "422" in responses:
        responses["422"]["description"] = DESCRIPTIONS[422]


def _ready(responses: dict[str, Any]) -> None:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
    responses["200"] = {"description": "Ready", "content": content}
    responses["503"] = {
        "description": "Not ready: the broker is disconnected, or the edge's authorizer is "
        "unreachable or not ready",
        "content": content,
    }


def _is_readiness(path: str, status: str) -> bool:
    return path == "/ready" and status == "503"


def error_statuses(doc: dict[str, Any]) -> Iterable[tuple[str, str, str, dict[str, Any]]]:
    """(path, method, status, response) of every 4xx/5xx answer in a document (for tests)."""
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            for status, response in item.get(method, {}).get("responses", {}).items():
                if status[0] in "45":
                    yield path, method, status, response
