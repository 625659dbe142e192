"""No 500 on bad input, anywhere: every public route, enumerated from the app's own OpenAPI
document (plus the media URLs it hands out), gets what a careless client or an attacker
sends — control characters in the path, a non-ASCII header byte, a malformed cookie, NUL and
other control characters in each text field of its body, query and headers, an oversized
body (declared, and chunked), a trailing slash with a foreign Host — through the real edge
on a real socket. Every answer is a 4xx
in the contract's `{"detail", "code"}` format, and nothing is stored.

Requests are written by hand on a raw socket: no HTTP client sends these bytes.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from functions.images.blob_stores import DirectoryBlobStore
from functions.kit.text import MULTI_LINE_PATTERN
from tests.e2e.conftest import ORIGIN, RunningMesh, login
from tests.e2e.test_scan_flow import upload
from tests.support.raw_http import Answer, exchange

CONTROLS = ("\x00", "\x1b", "\x7f", "\x85")  # NUL, another C0, DEL, a C1
PATH_CONTROLS = ("%00", "%0a", "%7f")
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Control bytes in any header value are refused by the server's parser, before the Guard
COOKIE_CODES = ("INVALID_COOKIE", "MALFORMED_REQUEST")
MEMORY_STORES = ("users_repository", "scan_jobs", "character_ownerships", "auth_session_store",
                 "auth_state_store", "auth_revocation_store", "object_store")  # fmt: skip
PG_TABLES = ("users", "social_accounts", "scan_jobs", "scan_idempotency", "character_ownership")


@dataclass
class Route:
    method: str
    path: str  # a template: /api/v1/scan/{job_id}/result
    query: list[dict[str, Any]] = field(default_factory=list)  # the OpenAPI parameters
    headers: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] | None = None  # the request body's JSON schema (resolved)


@dataclass
class Probe:
    """What one bad request was, and what the mesh must answer (any 4xx when codes is empty)."""

    route: Route
    what: str
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    declared: int | None = None  # a Content-Length without sending the bytes
    chunked: int | None = None  # stream this many bytes chunked
    codes: tuple[str, ...] = ()
    mentions: str | None = None  # the detail names this field
    host: bytes | None = None  # another Host header than the mesh's


class Rig:
    """The running mesh, a logged-in user's cookies and the values a valid request needs."""

    def __init__(self, running: RunningMesh, cookies: str, image_url: str, upload_url: str) -> None:
        self.running = running
        parts = urlsplit(running.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookie = cookies.encode()
        self.values = {"image_url": image_url, "content_type": "image/png", "nickname": "probe",
                       "filename": "a.png", "user_input": "hello", "model": "offline"}  # fmt: skip
        self.path_values = {"provider": "dev", "channel": "scan", "job_id": str(uuid.uuid4())}
        self.upload_url = upload_url

    def target(self, route: Route, override: tuple[str, str] | None = None) -> str:
        path = route.path
        if override is not None:
            path = path.replace(f"{{{override[0]}}}", override[1])
        for name, value in self.path_values.items():
            path = path.replace(f"{{{name}}}", value)
        return path

    def base_headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"cookie", self.cookie), (b"x-frontend-origin", ORIGIN.encode())]


async def send(rig: Rig, probe: Probe) -> Answer:
    head = [b"%s %s HTTP/1.1" % (probe.route.method.encode(), probe.target),
            b"host: " + (probe.host or b"%s:%d" % (rig.host.encode(), rig.port)),
            *(k + b": " + v for k, v in probe.headers)]  # fmt: skip
    if probe.chunked is None and (probe.declared is not None or probe.body):
        length = probe.declared if probe.declared is not None else len(probe.body)
        head.append(b"content-length: %d" % length)
    return await exchange(rig.host, rig.port, head, probe.body, chunked=probe.chunked)


def routes_of(document: dict[str, Any]) -> list[Route]:
    """Every operation of the public document, its parameters and body schema resolved."""
    schemas = document.get("components", {}).get("schemas", {})
    found = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            body = resolve(content["schema"], schemas) if content else None
            found.append(Route(method.upper(), path,
                               [p for p in params if p["in"] == "query"],
                               [p for p in params if p["in"] == "header"], body))  # fmt: skip
    return found


def resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return resolve(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    return schema


def is_text(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" or any(
        s.get("type") == "string" for s in schema.get("anyOf", [])
    )


def multiline(schema: dict[str, Any]) -> bool:
    branches = [schema, *schema.get("anyOf", [])]
    return any(s.get("pattern") == MULTI_LINE_PATTERN for s in branches)


def bad_texts(schema: dict[str, Any]) -> list[str]:
    texts = [f"a{c}b" for c in CONTROLS]
    return texts if multiline(schema) else [*texts, "a\nb", "a\rb"]


def probes_of(rig: Rig, route: Route, limit: int) -> Iterable[Probe]:
    target = rig.target(route)
    params = re.findall(r"{(\w+)}", route.path)
    base = rig.base_headers()
    for control in PATH_CONTROLS:
        bad = rig.target(route, (params[0], f"a{control}b")) if params else target + control
        yield Probe(route, f"path {bad}", bad.encode(), base, codes=("INVALID_PATH",))
    yield Probe(route, "trailing slash", (target + "/").encode(), base, host=b"evil.example")
    yield Probe(route, "non-ASCII header", target.encode(), [*base, (b"x-note", "café".encode())],
                codes=("INVALID_HEADER",))  # fmt: skip
    for cookie in (b"s_access=a\x01b", "s_access=토큰".encode(), b"s_refresh=a\tb"):
        yield Probe(route, f"cookie {cookie!r}", target.encode(),
                    [(b"cookie", cookie)], codes=COOKIE_CODES)  # fmt: skip
    for param in route.query:
        for text in bad_texts(param["schema"]):
            query = f"?{param['name']}={quote(text)}"
            yield Probe(route, f"query {param['name']}={text!r}", (target + query).encode(),
                        base, codes=("INVALID_QUERY",))  # fmt: skip
    for param in route.headers:
        name = param["name"].lower().encode()
        others = [(k, v) for k, v in base if k != name]
        for text in [*bad_texts(param["schema"]), "a\tb"]:
            yield Probe(route, f"header {param['name']}: {text!r}", target.encode(),
                        [*others, (name, text.encode())])  # fmt: skip
    yield from body_probes(rig, route, target, base)
    sizes = (("declared", {"declared": limit + 1}), ("chunked", {"chunked": limit + 2**20}))
    for how, size in sizes:
        yield Probe(route, f"oversized body ({how})", target.encode(), base,
                    codes=("PAYLOAD_TOO_LARGE",), **size)  # type: ignore[arg-type]  # fmt: skip


def body_probes(rig: Rig, route: Route, target: str, base: list[tuple[bytes, bytes]]) -> Any:
    if route.body is None:
        return
    properties = route.body.get("properties", {})
    valid = {name: rig.values.get(name, "x") for name in route.body.get("required", [])}
    headers = [*base, (b"content-type", b"application/json")]
    for name, schema in properties.items():
        if not is_text(schema):
            continue
        for text in bad_texts(schema):
            body = json.dumps({**valid, name: text}).encode()
            yield Probe(route, f"body {name}={text!r}", target.encode(), headers, body,
                        codes=("VALIDATION_ERROR",), mentions=name)  # fmt: skip


def media_routes(rig: Rig) -> list[tuple[Route, str]]:
    """The public media URLs (not in the API document): a signed upload, and a read."""
    upload = urlsplit(rig.upload_url)
    put = Route("PUT", upload.path)
    return [(put, f"{upload.path}?{upload.query}"), (Route("GET", "/media/scan/x/y.png"), "")]


def media_probes(rig: Rig, images_max_bytes: int) -> Iterable[Probe]:
    for route, signed in media_routes(rig):
        target = signed or route.path
        path, _, query = target.partition("?")
        suffix = f"?{query}" if query else ""
        for control in PATH_CONTROLS:
            bad = f"{path}{control}{suffix}".encode()
            yield Probe(route, f"path {control}", bad, [], codes=("INVALID_PATH",))
        odd = [(b"content-type", "imagé/png".encode())]
        yield Probe(route, "non-ASCII header", target.encode(), odd, codes=("INVALID_HEADER",))
        yield Probe(route, "bad cookie", target.encode(), [(b"cookie", b"s_access=\xff")],
                    codes=("INVALID_COOKIE",))  # fmt: skip
        if route.method == "PUT":  # its own cap: the image limit, not the body limit
            yield Probe(route, "oversized upload", target.encode(),
                        [(b"content-type", b"image/png")], declared=images_max_bytes + 1,
                        codes=("IMAGE_TOO_LARGE",))  # fmt: skip


def check(probe: Probe, answer: Answer) -> str | None:
    """What is wrong with the answer, or None."""
    said = f"{probe.route.method} {probe.route.path} [{probe.what}]: {answer.status}"
    body = contract_error(answer)
    if isinstance(body, str):
        return f"{said} {body}"
    if probe.codes and body["code"] not in probe.codes:
        return f"{said} code {body['code']}, expected one of {probe.codes}: {body['detail']}"
    if probe.mentions and probe.mentions not in body["detail"]:
        return f"{said} detail does not name {probe.mentions}: {body['detail']}"
    return None


def contract_error(answer: Answer) -> dict[str, str] | str:
    """The answer's error body if it is a 4xx in the contract's format, else what it is."""
    if "location" in answer.headers:  # no redirect, least of all to a Host it was sent
        return f"redirects to {answer.headers['location']}"
    if not 400 <= answer.status < 500:
        return f"not a 4xx: {answer.body[:200]!r}"
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"not JSON: {answer.body[:200]!r}"
    if not (isinstance(body, dict) and set(body) == {"detail", "code"}
            and isinstance(body["detail"], str) and CODE.match(str(body["code"]))):  # fmt: skip
        return f"not the contract's error format: {body}"
    return body


async def stored(running: RunningMesh) -> dict[str, Any]:
    """Everything the mesh keeps for users, scans, characters, sessions and logins."""
    runtime = running.mesh.runtime
    assert runtime is not None
    if running.mesh.settings.mode == "real":
        pool = await runtime.container.pg_pool()
        rows = {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in PG_TABLES}
        redis = await runtime.container.redis()
        pattern = f"{running.mesh.settings.redis_prefix}auth:*"
        keys = sorted([k async for k in redis.scan_iter(match=pattern, count=1000)])
        return {"rows": rows, "auth_keys": keys}
    found = {}
    for name in MEMORY_STORES:
        store = await runtime.container.get(name)
        found[name] = snapshot(getattr(store, "blobs", store))
    return found


def snapshot(store: Any) -> Any:
    if isinstance(store, DirectoryBlobStore):
        return sorted(str(p) for p in store.root.rglob("*") if p.is_file())
    return {k: copy.deepcopy(v) for k, v in vars(store).items() if isinstance(v, dict)}


@contextlib.asynccontextmanager
async def session(running: RunningMesh) -> AsyncIterator[Rig]:
    async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
        await login(http, "prober")
        image_url = await upload(http)
        signed = await http.post(
            "/api/v1/images/scan", json={"filename": "b.png", "content_type": "image/png"}
        )
        cookies = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        yield Rig(running, cookies, image_url, signed.json()["upload_url"])


async def test_no_bad_input_gets_a_5xx_or_stores_anything(running_mesh: RunningMesh) -> None:
    settings = running_mesh.mesh.settings
    async with session(running_mesh) as rig:
        document = running_mesh.mesh.app.openapi()
        routes = routes_of(document)
        assert len(routes) >= 14, [f"{r.method} {r.path}" for r in routes]
        probes = [p for r in routes for p in probes_of(rig, r, settings.max_body_bytes)]
        probes += media_probes(rig, settings.images_max_bytes)
        before = await stored(running_mesh)
        problems = []
        for probe in probes:
            problem = check(probe, await send(rig, probe))
            if problem:
                problems.append(problem)
        assert not problems, "\n".join(problems)
        assert await stored(running_mesh) == before
        assert sum(p.what.startswith("body ") for p in probes) >= 30  # the text fields were hit
