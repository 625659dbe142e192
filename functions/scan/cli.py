"""`eco2 scan PHOTO [--hint TEXT]`: the whole client flow against a running mesh, for people
and demos — dev login, upload, submit, a live progress bar from the SSE stream, the answer.

It speaks only the public contract (cookies, the signed upload URL, SSE), as the PWA does.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

import httpx

ORIGIN = "http://localhost:5173"  # the PWA origin the dev login redirects back to
BAR = 30


class ScanCliError(Exception):
    """A step of the flow failed; the message says which and what the mesh answered."""


def run(photo: Path, hint: str | None, model: str | None, url: str) -> int:
    try:
        result = asyncio.run(scan(photo, hint, model, url, sys.stdout))
    except (ScanCliError, httpx.HTTPError, OSError) as exc:
        print(f"\nscan failed: {exc}", file=sys.stderr)
        return 1
    render(result, sys.stdout)
    return 0 if result.get("status") == "completed" else 1


def _check(response: httpx.Response, what: str) -> httpx.Response:
    if response.is_success:
        return response
    raise ScanCliError(f"{what}: HTTP {response.status_code} {response.text[:300]}")


async def login(http: httpx.AsyncClient) -> None:
    """The local dev provider's OAuth round trip; the session comes back as cookies."""
    started = _check(
        await http.get("/api/v1/auth/dev", headers={"X-Frontend-Origin": ORIGIN}), "dev login"
    )
    callback = await http.get(started.json()["data"]["authorization_url"])
    if "s_access" not in http.cookies:
        raise ScanCliError(f"dev login: no session cookie (HTTP {callback.status_code})")


async def upload(http: httpx.AsyncClient, photo: Path) -> str:
    content_type = mimetypes.guess_type(photo.name)[0] or "application/octet-stream"
    body = {"filename": photo.name, "content_type": content_type}
    signed = _check(await http.post("/api/v1/images/scan", json=body), "upload URL").json()
    headers = {"Content-Type": content_type, **signed.get("required_headers", {})}
    data = await asyncio.to_thread(photo.read_bytes)
    async with httpx.AsyncClient(timeout=60) as bare:  # no cookies, like the browser's PUT
        _check(await bare.put(signed["upload_url"], content=data, headers=headers), "upload")
    return str(signed["cdn_url"])


async def events(http: httpx.AsyncClient, path: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Server-sent events as (event name, data), until the stream ends."""
    async with http.stream("GET", path, timeout=httpx.Timeout(10, read=120)) as response:
        _check(response, "event stream")
        name, data = "message", ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
            elif not line and data:
                yield name, json.loads(data)
                name, data = "message", ""


def draw(out: TextIO, event: str, data: dict[str, Any]) -> None:
    percent = int(data.get("progress") or 0)
    filled = BAR * percent // 100
    out.write(f"\r[{'#' * filled}{'-' * (BAR - filled)}] {percent:3d}% {event} {data['status']:<9}")
    out.flush()


async def scan(
    photo: Path, hint: str | None, model: str | None, url: str, out: TextIO
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await login(http)
        image_url = await upload(http, photo)
        body = {"image_url": image_url, "user_input": hint, "model": model}
        job = _check(await http.post("/api/v1/scan", json=body), "submit").json()
        async for event, data in events(http, job["stream_url"]):
            if event in ("token", "keepalive"):
                continue
            draw(out, event, data)
            if event == "done":
                break
        out.write("\n")
        return dict(_check(await http.get(job["result_url"]), "result").json())


def render(result: dict[str, Any], out: TextIO) -> None:
    if result.get("status") != "completed":
        out.write(f"실패: {result.get('message')} {result.get('error')}\n")
        return
    pipeline = result["pipeline_result"]
    found = pipeline["classification_result"]["classification"]
    answer = pipeline["final_answer"]
    out.write(f"분류: {found['major_category']} > {found['middle_category']} > "
              f"{found['minor_category']}\n")  # fmt: skip
    for name, step in answer["disposal_steps"].items():
        out.write(f"  {name}. {step}\n")
    for lack in answer["insufficiencies"]:
        out.write(f"  ! {lack}\n")
    out.write(f"이코: {answer['user_answer']}\n")
    reward = result.get("reward")
    out.write(f"보상: {reward['name']} — {reward['dialog']}\n" if reward else "보상: 없음\n")
