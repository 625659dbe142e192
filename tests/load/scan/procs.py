"""The mesh as separate OS processes: fake LLM, event workers, router, HTTP mesh, Go authz.

Each service's stdout and stderr go to its own log file in the run's work directory (a pipe
nobody reads would fill up and block it); a service that dies or never gets ready fails the
run with the tail of its log. Everything started here is stopped by `Stack.stop`, which the
bench calls in a `finally` (Ctrl-C included).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from functions.auth.keys import generate, private_pem
from functions.kit.authz_process import authz_command
from functions.kit.settings import Settings
from tests.load.scan.namespace import Namespace
from tests.load.sse.procs import free_port

ROOT = Path(__file__).resolve().parents[3]
AUTHZ_BINARY = ROOT / "authz" / "bin" / "authz"
MODEL = "gpt-5-mini"  # in the default allow-list; its provider (OpenAI) is inferred from it
READY_S = 120.0


@dataclass
class Service:
    """One process of the mesh; `start` again after a kill gives it a new incarnation."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    ready_url: str | None = None
    proc: asyncio.subprocess.Process | None = None
    pids: list[int] = field(default_factory=list)  # every incarnation, for the CPU figures

    async def start(self, within_s: float = READY_S) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.pids.append(self.proc.pid)
        if self.ready_url is not None:
            await self.wait_ready(self.ready_url, within_s)

    async def wait_ready(self, url: str, within_s: float, status: int = 200) -> None:
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url)).status_code == status:
                        return
                if self.proc is None or self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited before ready:\n{self.tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name}: {url} not {status} in {within_s}s\n{self.tail()}"
                    )
                await asyncio.sleep(0.2)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.returncode is None else None

    def tree(self) -> list[int]:
        """The process and its descendants (uvicorn's workers under `eco2 run --workers K`)."""
        if self.pid is None:
            return []
        try:
            return [self.pid, *(c.pid for c in psutil.Process(self.pid).children(recursive=True))]
        except psutil.Error:
            return [self.pid]

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye (the chaos of a crashed pod)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self, within_s: float = 15.0) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), within_s)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Ports:
    http: int = field(default_factory=free_port)
    authz_http: int = field(default_factory=free_port)
    authz_grpc: int = field(default_factory=free_port)
    router: int = field(default_factory=free_port)
    llm: int = field(default_factory=free_port)


def mesh_env(ns: Namespace, ports: Ports, workdir: Path) -> dict[str, str]:
    """What every mesh process shares: the namespace, the secrets a split needs (JWT signing
    key, image URL signing key), the media directory and the real OpenAI adapter's target."""
    media = workdir / "media"
    media.mkdir(exist_ok=True)
    return {
        "ECO2_MODE": "real",
        "ECO2_AMQP_URL": ns.amqp_url,
        "ECO2_REDIS_URL": ns.redis_url,
        "ECO2_REDIS_PREFIX": ns.redis_prefix,
        "ECO2_PG_DSN": ns.pg_dsn,
        "ECO2_JWT_PRIVATE_KEY": private_pem(generate()),
        "ECO2_IMAGES_SIGNING_KEY": secrets.token_hex(32),
        "ECO2_IMAGES_BACKEND": "local",
        "ECO2_MEDIA_DIR": str(media),
        "ECO2_AUTH_LOGIN_RATE_PER_MIN": "1000000",  # every virtual user logs in from 127.0.0.1
        "ECO2_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports.http}",
        "ECO2_AUTH_DEV_PROVIDER": "true",
        "ECO2_LLM_DEFAULT_MODEL": MODEL,
        "ECO2_OPENAI_BASE_URL": f"http://127.0.0.1:{ports.llm}/v1",
        "ECO2_OPENAI_API_KEY": "fake",
        "ECO2_LOG_LEVEL": "WARNING",
    }


@dataclass
class Stack:
    """The whole mesh of one run, started in dependency order, stopped in reverse."""

    llm: Service
    workers: list[Service]
    router: Service
    http: Service
    authz: Service
    started: list[Service] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.http.env["ECO2_PUBLIC_BASE_URL"]

    def services(self) -> list[Service]:
        return [self.authz, self.http, *self.workers, self.router, self.llm]

    async def start(self) -> None:
        for service in (self.llm, *self.workers, self.router, self.http):
            self.started.append(service)
            await service.start()
        self.started.append(self.authz)
        await self.authz.start()
        # the edge answers 401 (not 503) once the authz has the mesh's JWKS
        await self.authz.wait_ready(f"{self.url}/api/v1/users/me", READY_S, status=401)
        await self.http.wait_ready(f"{self.url}/ready", READY_S)  # now with its edge

    async def stop(self) -> None:
        for service in reversed(self.started):
            with contextlib.suppress(Exception):
                await service.stop()


def build_stack(
    ns: Namespace,
    workdir: Path,
    *,
    workers: int,
    functions: str,
    vision_s: float,
    answer_s: float,
    http_workers: int = 1,
    edge: str = "grpc",
    llm_flags: Sequence[str] = (),
) -> Stack:
    ports = Ports()
    env = mesh_env(ns, ports, workdir)
    py = sys.executable

    def service(name: str, command: list[str], ready: str | None, **extra: str) -> Service:
        return Service(name, command, {**env, **extra}, workdir / f"{name}.log", ready)

    run = [py, "-m", "functions.kit.cli", "run", "--real"]
    flags = f"--port {ports.llm} --vision {vision_s} --answer {answer_s}"
    llm = service(
        "fake-llm",
        [py, "-m", "tests.load.scan.fake_llm", *flags.split(), *llm_flags],
        f"http://127.0.0.1:{ports.llm}/health",
    )
    pool = []
    for k in range(1, workers + 1):
        port = free_port()
        command = [*run, "--serve", "events", "--functions", functions, "--port", str(port)]
        pool.append(service(f"worker-{k}", command, f"http://127.0.0.1:{port}/ready"))
    router = service(
        "router",
        [py, "-m", "functions.kit.deploy.event_router"],
        f"http://127.0.0.1:{ports.router}/ready",
        ECO2_PORT=str(ports.router),
    )
    flags = f"--serve http --no-router --port {ports.http} --workers {http_workers}"
    http = service(
        "mesh-http",
        [*run, *flags.split()],
        # alive first: its /ready waits for the edge's authz, which waits for its JWKS
        f"http://127.0.0.1:{ports.http}/health",
        **(  # the edge asks the authz as Envoy does (gRPC Check), or through its HTTP mode
            {"ECO2_AUTHZ_GRPC_ADDR": f"127.0.0.1:{ports.authz_grpc}"}
            if edge == "grpc"
            else {"ECO2_AUTHZ_URL": f"http://127.0.0.1:{ports.authz_http}"}
        ),
    )
    settings = Settings(
        mode="real",
        port=ports.http,
        redis_url=ns.redis_url,
        redis_prefix=ns.redis_prefix,
        authz_http_port=ports.authz_http,
        authz_grpc_port=ports.authz_grpc,
    )
    authz = service("authz", authz_command(settings, str(AUTHZ_BINARY)), None)
    return Stack(llm, pool, router, http, authz)


async def build_authz() -> None:
    """`go build` the ext-authz as scripts/run does (quick when it is up to date)."""
    proc = await asyncio.create_subprocess_exec(
        "go", "-C", str(ROOT / "authz"), "build", "-o", "bin/authz", "./cmd/authz"
    )
    if await proc.wait() != 0:
        raise RuntimeError("go build of authz/ failed")
