"""One virtual user of the scan bench: the PWA's scan flow in a closed loop, cookies only.

Login once (the dev provider's OAuth round trip), then until told to stop: ask for an upload
URL, PUT the photo to it without cookies, submit the scan, follow its SSE stream to `done`,
fetch the result once (it must be stored by then) and check its contract shape. A 401 is
answered as the client does: one `POST /auth/refresh`, then the call again. A broken stream
falls back to polling the result every 2 s for 2 minutes, as the client does.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import aconnect_sse

ORIGIN = "http://localhost:5173"
HINTS = ("라벨은 뗐어요", "씻어서 말렸어요", None, "뚜껑이 달려 있어요", "기름이 조금 묻었어요")
POLL_S, POLL_FOR_S = 2.0, 120.0
STREAM = httpx.Timeout(10, read=90)


class Failed(Exception):
    """A step failed; `kind` is what the report counts (e.g. `submit 503`, `stream timeout`)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class Job:
    """One cycle. Times are CLOCK_MONOTONIC seconds, comparable across the run's processes."""

    vu: int
    started_at: float  # the cycle began (upload URL requested)
    submitted_at: float = 0.0  # POST /scan sent
    job_id: str | None = None
    finished_at: float = 0.0  # result fetched (or the cycle gave up)
    outcome: str = ""  # completed | failed | error: <kind>
    submit_ms: float = 0.0
    stream_fallback: bool = False


@dataclass
class Counters:
    refreshes: int = 0
    relogins: int = 0
    not_stored_at_done: int = 0  # done came, the result was still 202: a contract breach
    shape_errors: dict[str, int] = field(default_factory=dict)


def shape_problems(result: dict[str, Any]) -> list[str]:
    """What the final result lacks against the contract (http-api.md, Scan)."""
    problems = [k for k in ("task_id", "status", "message") if k not in result]
    if "reward" not in result:
        problems.append("reward (must be explicit, null for none)")
    if result.get("status") != "completed":
        return problems
    try:
        pipeline = result["pipeline_result"]
        found = pipeline["classification_result"]["classification"]
        problems += [
            f"classification.{k}"
            for k in ("major_category", "middle_category", "minor_category")
            if not isinstance(found.get(k), str)
        ]
        if not isinstance(pipeline["classification_result"].get("situation_tags"), list):
            problems.append("situation_tags")
        if not isinstance(pipeline.get("disposal_rules"), dict | None):
            problems.append("disposal_rules")
        answer = pipeline["final_answer"]
        if not isinstance(answer.get("disposal_steps"), dict):
            problems.append("final_answer.disposal_steps")
        if not isinstance(answer.get("insufficiencies"), list):
            problems.append("final_answer.insufficiencies")
        if not isinstance(answer.get("user_answer"), str):
            problems.append("final_answer.user_answer")
    except (KeyError, TypeError, AttributeError) as exc:
        problems.append(f"pipeline_result ({exc!r})")
    reward = result.get("reward")
    if reward is not None and not {"name", "dialog", "match_reason", "type"} <= set(reward):
        problems.append("reward fields")
    return problems


class VU:
    def __init__(
        self, index: int, user: str, transport: httpx.AsyncBaseTransport, cfg: dict[str, Any]
    ) -> None:
        self.index, self.user, self.cfg = index, user, cfg
        base = cfg["url"]
        self.http = httpx.AsyncClient(base_url=base, transport=transport, timeout=60)
        self.bare = httpx.AsyncClient(transport=transport, timeout=60)  # no cookies: the PUT
        self.photo: bytes = cfg["photo"]
        self.counters = Counters()
        self.jobs: list[Job] = []

    async def login(self) -> None:
        started = await self.http.get(
            "/api/v1/auth/dev",
            params={"dev_user": self.user},
            headers={"X-Frontend-Origin": ORIGIN},
        )
        if started.status_code != 200:
            raise Failed(f"login {started.status_code}")
        await self.http.get(started.json()["data"]["authorization_url"])
        if "s_access" not in self.http.cookies:
            raise Failed("login: no session cookie")

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A cookie-session call; on 401 refresh once and retry, as the PWA's interceptor."""
        response = await self.http.request(method, path, **kw)
        if response.status_code != 401:
            return response
        self.counters.refreshes += 1
        if (await self.http.post("/api/v1/auth/refresh")).is_success:
            return await self.http.request(method, path, **kw)
        self.counters.relogins += 1
        await self.login()
        return await self.http.request(method, path, **kw)

    async def run(self, stop_at: float) -> None:
        n = 0
        while time.monotonic() < stop_at:
            job = Job(self.index, time.monotonic())
            self.jobs.append(job)
            try:
                await self.cycle(job, HINTS[(self.index + n) % len(HINTS)])
            except Failed as exc:
                job.outcome = f"error: {exc.kind}"
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                job.outcome = f"error: {type(exc).__name__}"
            job.finished_at = job.finished_at or time.monotonic()
            n += 1
            if job.outcome.startswith("error") and job.job_id is None:
                await asyncio.sleep(1)  # a refused submit: do not hammer

    async def cycle(self, job: Job, hint: str | None) -> None:
        body = {"filename": "item.png", "content_type": "image/png"}
        signed = await self.call("POST", "/api/v1/images/scan", json=body)
        if signed.status_code != 200:
            raise Failed(f"upload url {signed.status_code}")
        upload = signed.json()
        headers = {"Content-Type": "image/png", **(upload.get("required_headers") or {})}
        put = await self.bare.put(upload["upload_url"], content=self.photo, headers=headers)
        if not put.is_success:
            raise Failed(f"upload {put.status_code}")
        job.submitted_at = time.monotonic()
        submit = {"image_url": upload["cdn_url"], "user_input": hint}
        submitted = await self.call("POST", "/api/v1/scan", json=submit)
        job.submit_ms = (time.monotonic() - job.submitted_at) * 1e3
        if submitted.status_code not in (200, 202):
            raise Failed(f"submit {submitted.status_code}")
        accepted = submitted.json()
        job.job_id = accepted["job_id"]
        done = await self.follow(job, accepted["stream_url"])
        result = await self.result(job, accepted["result_url"], done)
        job.finished_at = time.monotonic()
        problems = shape_problems(result)
        for problem in problems:
            self.counters.shape_errors[problem] = self.counters.shape_errors.get(problem, 0) + 1
        if problems:
            job.outcome = "error: result shape"
        else:
            job.outcome = "completed" if result.get("status") == "completed" else "failed"

    async def follow(self, job: Job, stream_url: str) -> bool:
        """Read the stream to `done`; False when it broke (the caller polls instead)."""
        for _ in range(2):  # a second time after a refresh
            try:
                async with aconnect_sse(self.http, "GET", stream_url, timeout=STREAM) as source:
                    status = source.response.status_code
                    if status == 200:
                        async for sse in source.aiter_sse():
                            if sse.event == "done":
                                return True
                        break  # ended without done
            except (httpx.HTTPError, json.JSONDecodeError):
                break
            if status != 401:
                break
            self.counters.refreshes += 1
            if not (await self.http.post("/api/v1/auth/refresh")).is_success:
                break
        job.stream_fallback = True
        return False

    async def result(self, job: Job, result_url: str, after_done: bool) -> dict[str, Any]:
        response = await self.call("GET", result_url)
        if response.status_code == 200:
            return dict(response.json())
        if after_done and response.status_code == 202:
            self.counters.not_stored_at_done += 1
        deadline = time.monotonic() + POLL_FOR_S
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            response = await self.call("GET", result_url)
            if response.status_code == 200:
                return dict(response.json())
            if response.status_code != 202:
                raise Failed(f"result {response.status_code}")
        raise Failed("result not ready after 2 min of polling")

    async def settle(self, deadline: float) -> list[str]:
        """After the run (--chaos): every job that got an id must have a stored result; poll
        until `deadline`. Returns the job ids that never got one."""
        missing = []
        for job in self.jobs:
            if job.job_id is None or job.outcome in ("completed", "failed"):
                continue
            url = f"/api/v1/scan/{job.job_id}/result"
            while True:
                try:
                    response = await self.call("GET", url)
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code == 200:
                    job.outcome = f"late {response.json().get('status')} ({job.outcome})"
                    break
                if time.monotonic() > deadline:
                    missing.append(job.job_id)
                    break
                await asyncio.sleep(POLL_S)
        return missing
