"""Chat load bench: N concurrent conversations through the whole mesh, split into processes on
the real servers, against a local streaming OpenAI-compatible fake behind the real adapter.

    uv run python -m tests.load.chat_bench [--quick] [--conversations 500] [--turns 1]
        [--workers 2] [--chaos [--chaos-rabbit rabbit|drop|none]] [--json out.json]

On a database, vhost and Redis prefix of its own it starts (tests/load/scan/procs.py, as the
scan bench): the fake LLM (tests/load/scan/fake_llm.py: every streamed answer `--tokens`
numbered tokens, the first after `--first-token` s, then `--rate` per second), `--workers`
agent workers (`eco2 run --real --serve events --functions 'chat-*'`), the event router, the
HTTP mesh (API, SSE gateway, edge) and the Go ext-authz; then load-driver processes
(tests/load/chat/driver.py) log every user in through the edge, open a conversation each and
send their messages all at once, each following its SSE stream to `done`. It prints
completion, time to first token and what the mesh adds to the fake's own, tokens exactly once
and in order, tokens/s, CPU per turn per process, and PostgreSQL's count of assistant
messages per turn. See tests/load/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.load.chat.chaos import fake_stats, run_chat_chaos
from tests.load.chat.checks import check_chat_db, dump_inexact
from tests.load.chat.figures import ChatRun, render, summary
from tests.load.scan import procs
from tests.load.scan.metrics import Sampler
from tests.load.scan.namespace import Namespace, Servers, namespace, versions
from tests.load.scan.report import machine
from tests.load.scan_bench import PG_ROW, Driver, sampler_rows
from tests.load.sse.procs import raise_open_files

USERS_PER_DRIVER = 250
SETTLE_S = 120.0  # --chaos: how long PostgreSQL may take to show every turn's answer


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--conversations", type=int, default=500, help="concurrent conversations")
    p.add_argument("--turns", type=int, default=1, help="messages per conversation, in turn")
    p.add_argument("--ramp", type=float, default=10.0, help="s over which the 1st messages go")
    p.add_argument("--workers", type=int, default=2, help="agent worker processes")
    p.add_argument("--http-workers", type=int, default=1, help="uvicorn processes of the API")
    p.add_argument("--functions", default="chat-*", help="what the workers run")
    p.add_argument("--first-token", type=float, default=0.8, help="fake LLM s to 1st token")
    p.add_argument("--rate", type=float, default=30.0, help="fake LLM tokens per second")
    p.add_argument("--tokens", type=int, default=300, help="tokens per answer")
    p.add_argument("--drivers", type=int, help=f"load drivers (default 1 per {USERS_PER_DRIVER})")
    p.add_argument("--deadline", type=float, default=600, help="s for every turn to end")
    p.add_argument("--chaos", action="store_true", help="kill the workers mid-answer, then")
    rabbit = "restart RabbitMQ, or close this run's AMQP connections, or neither"
    p.add_argument("--chaos-rabbit", choices=("rabbit", "drop", "none"), default="rabbit",
                   help=rabbit)  # fmt: skip
    p.add_argument("--warmup", type=int, help="turns before the measured ones (2 per worker)")
    p.add_argument("--login-concurrency", type=int, default=50)
    p.add_argument("--json", type=Path, help="also write the summary here")
    p.add_argument("--keep-logs", action="store_true", help="keep every process's log")
    p.add_argument("--quick", action="store_true", help="N=20: a smoke test")
    args = p.parse_args()
    if args.quick:
        args.conversations = min(args.conversations, 20)
    return args


def driver_configs(args: argparse.Namespace, ns: Namespace, url: str) -> list[dict[str, Any]]:
    n = args.conversations
    k = args.drivers or max(1, math.ceil(n / USERS_PER_DRIVER))
    tag = ns.name.rsplit("_", 1)[-1]
    users = [(i, f"c{tag}-{i}") for i in range(n)]
    return [
        {"url": url, "users": users[d::k], "turns": args.turns, "tokens": args.tokens,
         "n": n, "ramp_s": args.ramp,
         "login_concurrency": max(1, args.login_concurrency // k),
         "warmup": (2 * args.workers if args.warmup is None else args.warmup) if d == 0 else 0}
        for d in range(k)
    ]  # fmt: skip


def llm_flags(args: argparse.Namespace) -> list[str]:
    return ["--stream-first", str(args.first_token), "--stream-rate", str(args.rate),
            "--stream-tokens", str(args.tokens)]  # fmt: skip


async def drive(
    args: argparse.Namespace, servers: Servers, stack: procs.Stack, ns: Namespace, workdir: Path
) -> ChatRun:
    drivers: list[Driver] = []
    try:
        command = [sys.executable, "-m", "tests.load.chat.driver"]
        cfgs = driver_configs(args, ns, stack.url)
        for k, cfg in enumerate(cfgs):
            drivers.append(await Driver.start(command, cfg, workdir / f"driver-{k}.json"))
        ready = [await d.read() for d in drivers]
        sampler = Sampler(sampler_rows(stack, drivers), pss=frozenset({PG_ROW}))
        sampler.start()
        go = time.monotonic()
        for d in drivers:
            d.go({"start": go, "deadline": go + args.deadline})
        chaos = None
        if args.chaos:
            chaos = asyncio.create_task(run_chat_chaos(
                stack, servers, go, args.conversations, rabbit=args.chaos_rabbit,
                within_s=args.deadline,
            ))  # fmt: skip
        results = [await d.read() for d in drivers]
        await sampler.stop()
        chaos_log = await chaos if chaos is not None else None
        stats = await fake_stats(stack)
        warm = sum(c["warmup"] for c in cfgs)
        turns = [t for r in results for t in r["turns"]]
        dump = workdir / "inexact.json"
        inexact = await dump_inexact(turns, ns.redis_url, ns.redis_prefix, dump)
        notes = [f"the database's turns include {warm} warm-up turns before the window"]
        if inexact:
            notes.append(f"{inexact} turn(s) not exact: what their clients saw and what the "
                         f"bus holds are in {dump} (--keep-logs keeps it)")  # fmt: skip
        return ChatRun(
            users=args.conversations, turns_each=args.turns, tokens=args.tokens,
            turns=turns, timings=stats["timings"],
            login_s=max(r["login_s"] for r in ready),
            login_errors={k: v for r in ready for k, v in r["login_errors"].items()},
            sampler=sampler, llm_counts=stats["counts"], chaos=chaos_log,
            db=await check_chat_db(ns.pg_dsn, SETTLE_S if args.chaos else 15.0),
            notes=notes,
        )  # fmt: skip
    finally:
        await asyncio.gather(*(d.stop() for d in drivers), return_exceptions=True)


async def run_one(args: argparse.Namespace, servers: Servers, workdir: Path) -> ChatRun:
    async with namespace(servers, "chat") as ns:
        stack = procs.build_stack(
            ns, workdir, workers=args.workers, functions=args.functions, vision_s=3.0,
            answer_s=8.0, http_workers=args.http_workers, llm_flags=llm_flags(args),
        )  # fmt: skip
        try:
            await stack.start()
            return await drive(args, servers, stack, ns, workdir)
        except BaseException:
            for service in stack.started:
                if service.proc is not None and service.proc.returncode not in (None, 0, -15):
                    print(f"--- {service.name} exited {service.proc.returncode}:\n{service.tail()}")
            raise
        finally:
            await stack.stop()


async def main() -> None:
    args = options()
    servers = Servers.from_env()
    print(machine())
    print(f"servers: {await versions(servers)}; open files (soft) raised to {raise_open_files()}")
    chaos = f"; chaos: kill the workers mid-answer, then {args.chaos_rabbit}" if args.chaos else ""
    print(
        f"{args.conversations} conversations x {args.turns} turn(s), the first messages spread "
        f"over {args.ramp:g} s; {args.workers} agent "
        f"workers [{args.functions}]; fake LLM via the OpenAI adapter ({procs.MODEL}): first "
        f"token after {args.first_token} s, {args.rate:g} tokens/s, {args.tokens} tokens"
        f"{chaos}",
        flush=True,
    )
    await procs.build_authz()
    tmp = Path(tempfile.mkdtemp(prefix="eco2-chat-bench-"))
    try:
        result = await run_one(args, servers, tmp)
    except BaseException:
        print(f"logs of every process kept in {tmp}", flush=True)
        raise
    print(render(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(summary(result), indent=2))
    if args.keep_logs:
        print(f"logs of every process in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
