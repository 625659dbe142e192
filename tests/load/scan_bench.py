"""Scan load bench: N virtual users scanning in a closed loop through the whole mesh, split
into processes on the real servers, with a fake LLM of realistic latency behind the real
OpenAI adapter.

    uv run python -m tests.load.scan_bench [--quick] [--users 100,500,1000] [--duration 180]
        [--chaos] [--workers 2] [--functions 'scan-*,character-*'] [--driver go|python]
        [--drivers K]

Per N it starts, on a database, vhost and Redis prefix of its own: the fake LLM
(tests/load/scan/fake_llm.py, vision 3 s + answer 8 s), `--workers` event workers (`eco2 run
--real --serve events --functions ...`), the event router (`python -m
functions.kit.deploy.event_router`), the HTTP mesh (`eco2 run --real --serve http --no-router`:
API, SSE gateway, ingress, edge) and the Go ext-authz it consults; then load-driver processes
run the users: the Go driver (tests/load/scan/godriver, built here; the default) or the Python
one (tests/load/scan/driver.py), same protocol, same per-job records. It prints outcomes, jobs/min
against the ceiling N x 60 / 11 s, end-to-end latency, CPU and peak RSS per process, and the
database checks. See tests/load/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from functions.kit.bootstrap import build_registry
from functions.kit.declare import Kind
from functions.kit.worker import Role
from tests.load.scan import procs
from tests.load.scan.chaos import DEFAULT_PLAN, ChaosLog, parse_plan, run_chaos
from tests.load.scan.checks import check_db
from tests.load.scan.metrics import Sampler, pids_named
from tests.load.scan.namespace import Namespace, Servers, namespace, versions
from tests.load.scan.photo import small_png
from tests.load.scan.report import RunResult, machine, reference, render, summary
from tests.load.sse.procs import raise_open_files

MAX_USERS = 5_000
PG_ROW = "PostgreSQL (all, PSS)"
SETTLE_S = 180.0  # --chaos: how long unfinished jobs may take to get their result after the run
GO_DRIVER = procs.ROOT / "tests" / "load" / "scan" / "godriver" / "bin" / "scanload"


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--users", default="100,500,1000", help="comma-separated N, one run each")
    p.add_argument("--duration", type=float, default=180, help="seconds of load per N")
    p.add_argument("--chaos", action="store_true", help="kill workers twice, restart RabbitMQ")
    p.add_argument("--chaos-plan", default=DEFAULT_PLAN, help="<kill|rabbit|drop>@<fraction>,...")
    p.add_argument("--workers", type=int, default=2, help="event worker processes")
    p.add_argument("--http-workers", type=int, default=1, help="uvicorn processes of the API")
    edge_help = "the edge asks the authz by gRPC Check (as Envoy) or its HTTP mode"
    p.add_argument("--edge", choices=("grpc", "http"), default="grpc", help=edge_help)
    p.add_argument("--functions", default="scan-*,character-*", help="what the workers run")
    p.add_argument(
        "--driver", choices=("go", "python"), default="go", help="the load driver's language"
    )
    p.add_argument(
        "--drivers", type=int, help="load-driver processes (default: go 1, python 1 per 500)"
    )
    p.add_argument("--vision", type=float, default=3.0, help="fake LLM seconds, vision")
    p.add_argument("--answer", type=float, default=8.0, help="fake LLM seconds, answer")
    p.add_argument("--drain", type=float, default=150, help="seconds for jobs in flight at the end")
    p.add_argument("--login-concurrency", type=int, default=50)
    p.add_argument("--json", type=Path, help="also write the summaries here")
    p.add_argument("--keep-logs", action="store_true", help="keep every process's log")
    p.add_argument("--quick", action="store_true", help="N=20 for 30 s: a smoke test")
    args = p.parse_args()
    if args.quick:
        args.users, args.duration = "20", 30.0
    parse_plan(args.chaos_plan)  # a typo fails now, not minutes into the run
    args.user_counts = [min(MAX_USERS, int(n)) for n in args.users.split(",") if n.strip()]
    return args


class Driver:
    """One load-driver process and its JSON-lines conversation."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, command: list[str], cfg: dict[str, Any], path: Path) -> Driver:
        await asyncio.to_thread(path.write_text, json.dumps(cfg))
        proc = await asyncio.create_subprocess_exec(
            *command,
            str(path),
            cwd=procs.ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,  # the final report is one long line
        )
        return cls(proc)

    async def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"load driver {self.proc.pid} exited ({await self.proc.wait()})")
        message: dict[str, Any] = json.loads(line)
        return message

    def go(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode())

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def driver_command(kind: str) -> list[str]:
    """The load driver's command line, before its config file."""
    if kind == "go":
        return [str(GO_DRIVER)]
    return [sys.executable, "-m", "tests.load.scan.driver"]


async def build_go_driver() -> None:
    """`go build` the Go load driver (quick when it is up to date)."""
    proc = await asyncio.create_subprocess_exec(
        "go", "-C", str(GO_DRIVER.parents[1]), "build", "-o", "bin/scanload", "."
    )
    if await proc.wait() != 0:
        raise RuntimeError("go build of tests/load/scan/godriver failed")


def drivers_text(args: argparse.Namespace) -> str:
    if args.drivers:
        return f"{args.drivers} process{'es' if args.drivers > 1 else ''}"
    return "1 process" if args.driver == "go" else "1 process per 500 users"


def driver_configs(
    args: argparse.Namespace, ns: Namespace, url: str, n: int
) -> list[dict[str, Any]]:
    k = args.drivers or (1 if args.driver == "go" else max(1, math.ceil(n / 500)))
    tag = ns.name.rsplit("_", 1)[-1]
    users = [(i, f"b{tag}-{i}") for i in range(n)]
    photo = base64.b64encode(small_png()).decode()
    return [
        {
            "url": url,
            "users": users[d::k],
            "photo_b64": photo,
            "login_concurrency": max(1, args.login_concurrency // k),
        }
        for d in range(k)
    ]


def rabbit_server() -> list[int]:
    """The broker's VM only: a `rabbitmqctl` run (someone's status check) is a beam.smp too."""
    found = []
    for pid in pids_named("beam.smp"):
        with contextlib.suppress(psutil.Error):
            if "rabbit boot" in " ".join(psutil.Process(pid).cmdline()):
                found.append(pid)
    return found


def sampler_rows(stack: procs.Stack, drivers: list[Driver]) -> Any:
    def rows() -> dict[str, list[int]]:
        found: dict[str, list[int]] = {
            "authz (Go)": [stack.authz.pid] if stack.authz.pid else [],
            "mesh http": stack.http.tree(),
        }
        for worker in stack.workers:
            found[worker.name] = [worker.pid] if worker.pid else []
        found["router"] = [stack.router.pid] if stack.router.pid else []
        found["fake LLM"] = [stack.llm.pid] if stack.llm.pid else []
        found["RabbitMQ (beam.smp)"] = rabbit_server()
        found["Redis"] = pids_named("redis-server")
        found[PG_ROW] = pids_named("postgres")
        found["load drivers"] = [d.proc.pid for d in drivers if d.proc.returncode is None]
        found["bench (this)"] = [os.getpid()]
        return found

    return rows


async def llm_counts(stack: procs.Stack) -> dict[str, int]:
    async with httpx.AsyncClient(timeout=10) as http:
        url = stack.llm.ready_url or ""
        counts: dict[str, int] = (await http.get(url.replace("/health", "/stats"))).json()["counts"]
        return counts


async def run_one(args: argparse.Namespace, servers: Servers, n: int, workdir: Path) -> RunResult:
    async with namespace(servers) as ns:
        stack = procs.build_stack(
            ns,
            workdir,
            workers=args.workers,
            functions=args.functions,
            vision_s=args.vision,
            answer_s=args.answer,
            http_workers=args.http_workers,
            edge=args.edge,
        )
        drivers: list[Driver] = []
        try:
            await stack.start()
            cfgs = driver_configs(args, ns, stack.url, n)
            command = driver_command(args.driver)
            for k, cfg in enumerate(cfgs):
                drivers.append(await Driver.start(command, cfg, workdir / f"driver-{k}.json"))
            ready = [await d.read() for d in drivers]
            go = time.monotonic()
            stop_at = go + args.duration
            settle = stop_at + args.drain + SETTLE_S if args.chaos else None
            for d in drivers:
                d.go({"stop_at": stop_at, "drain_s": args.drain, "settle_until": settle})
            sampler = Sampler(sampler_rows(stack, drivers), pss=frozenset({PG_ROW}))
            sampler.start()
            chaos = (
                asyncio.create_task(
                    run_chaos(stack, servers, go, args.duration, plan=args.chaos_plan)
                )
                if args.chaos
                else None
            )
            await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
            await sampler.stop()
            chaos_log: ChaosLog | None = await chaos if chaos is not None else None
            results = [await d.read() for d in drivers]
            return RunResult(
                users=n,
                duration_s=args.duration,
                latency_s=args.vision + args.answer,
                go=go,
                stop_at=stop_at,
                jobs=[j for r in results for j in r["jobs"]],
                counters=_merge([r["counters"] for r in results]),
                cut_at_drain=sum(r["cut_at_drain"] for r in results),
                missing=[m for r in results for m in r["missing"]],
                login_s=max(r["login_s"] for r in ready),
                login_errors=_merge([r["login_errors"] for r in ready]),
                open_files=results[0]["open_files"],
                llm_counts=await llm_counts(stack),
                sampler=sampler,
                db=await check_db(ns.pg_dsn),
                chaos=chaos_log,
            )
        except BaseException:
            for service in stack.started:
                if service.proc is not None and service.proc.returncode not in (None, 0, -15):
                    print(f"--- {service.name} exited {service.proc.returncode}:\n{service.tail()}")
            raise
        finally:
            await asyncio.gather(*(d.stop() for d in drivers), return_exceptions=True)
            await stack.stop()


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict):
                merged[key] = _merge([merged.get(key, {}), value])
            else:
                merged[key] = merged.get(key, 0) + value
    return merged


async def main() -> None:
    args = options()
    servers = Servers.from_env()
    consumed = Role.parse("events", args.functions).event_functions(build_registry())
    unconsumed = sorted(
        {f.name for f in build_registry().of_kind(Kind.EVENT)} - {f.name for f in consumed}
    )
    print(machine())
    print(f"servers: {await versions(servers)}; open files (soft) raised to {raise_open_files()}")
    print(
        f"workers: {args.workers} x [{', '.join(f.name for f in consumed)}]; not consumed: "
        f"{', '.join(unconsumed) or '-'}; fake LLM vision {args.vision} s + answer "
        f"{args.answer} s via the OpenAI adapter ({procs.MODEL}); load driver: {args.driver}, "
        f"{drivers_text(args)}; edge -> authz: {args.edge}"
    )
    print(reference(), flush=True)
    await procs.build_authz()
    if args.driver == "go":
        await build_go_driver()
    summaries = []
    tmp = Path(tempfile.mkdtemp(prefix="eco2-scan-bench-"))
    try:
        for n in args.user_counts:
            workdir = tmp / f"n{n}"
            workdir.mkdir()
            result = await run_one(args, servers, n, workdir)
            print(render(result), flush=True)
            summaries.append(summary(result))
    except BaseException:
        print(f"logs of every process kept in {tmp}", flush=True)
        raise
    if args.keep_logs:
        print(f"logs of every process in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
