"""A load-driver process of the chat bench: many users on one event loop.

    python -m tests.load.chat.driver <config.json>      # started by tests/load/chat_bench.py

Protocol (JSON lines, as the scan driver's): it logs every user in and opens a conversation
each, prints `{"t": "ready", ...}`, reads `{"start": <monotonic s>, "deadline": <monotonic s>}`
on stdin, runs every user's turns concurrently — user i of n sends its first message at
start + ramp_s x i / n (arrivals spread over the ramp), its next ones each after a `done` —
then prints `{"t": "result", "turns": [...], ...}`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from tests.load.chat.user import ChatUser
from tests.load.scan.vu import Failed

WARM = 1_000_000  # the warm-up users' indexes (their tags never meet a measured user's)


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _prepare(users: list[ChatUser], concurrency: int) -> dict[str, int]:
    """Login and a conversation for everyone, `concurrency` at a time; errors by kind."""
    errors: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(user: ChatUser) -> None:
        async with gate:
            for attempt in range(3):
                try:
                    await user.login()
                    await user.open()
                    return
                except (Failed, httpx.HTTPError) as exc:
                    kind = exc.kind if isinstance(exc, Failed) else type(exc).__name__
                    if attempt == 2:
                        errors[kind] = errors.get(kind, 0) + 1
                    await asyncio.sleep(1)  # a refused login: do not hammer

    await asyncio.gather(*(one(u) for u in users))
    return errors


async def _warm_up(cfg: dict[str, Any], transport: httpx.AsyncBaseTransport) -> None:
    """`warmup` short turns of extra users before the measured ones (left out of the
    figures): each worker builds its graph and pools on its first run, not in the window."""
    extra = [ChatUser(WARM + j, f"{cfg['users'][0][1]}-warm{j}", transport, cfg)
             for j in range(cfg.get("warmup", 0))]  # fmt: skip
    await _prepare(extra, cfg["login_concurrency"])
    deadline = time.monotonic() + 120
    await asyncio.gather(*(u.converse(1, cfg["tokens"], deadline) for u in extra if u.conversation))


async def main(cfg: dict[str, Any]) -> None:
    n = len(cfg["users"])
    limits = httpx.Limits(max_connections=2 * n + 20, max_keepalive_connections=2 * n + 20)
    transport = httpx.AsyncHTTPTransport(limits=limits)
    users = [ChatUser(i, name, transport, cfg) for i, name in cfg["users"]]
    started = time.monotonic()
    errors = await _prepare(users, cfg["login_concurrency"])
    await _warm_up(cfg, transport)
    _emit({"t": "ready", "users": n, "login_s": time.monotonic() - started,
           "login_errors": errors})  # fmt: skip
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    go = json.loads(line)
    deadline, start, ramp = float(go["deadline"]), float(go["start"]), float(cfg["ramp_s"])
    ready = [u for u in users if u.conversation is not None]
    await asyncio.gather(*(
        u.converse(cfg["turns"], cfg["tokens"], deadline, start + ramp * u.index / cfg["n"])
        for u in ready
    ))  # fmt: skip
    refreshes = sum(u.counters.refreshes for u in users)
    turns = [asdict(t) for u in users for t in u.turns]
    _emit({"t": "result", "turns": turns, "refreshes": refreshes,
           "not_ready": n - len(ready)})  # fmt: skip
    await transport.aclose()


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
