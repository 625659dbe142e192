"""Run the Go ext-authz next to the local mesh, configured to trust this mesh's keys.

`eco2 run` starts it as a child process (built by `scripts/run`) so that one command gives the
same edge as production: the authz fetches the JWKS from the mesh's auth function and follows
revocations from Redis (real mode) or from the mesh's revocation stream (embedded mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from functions.kit.settings import Settings

log = logging.getLogger(__name__)


def authz_command(settings: Settings, binary: str) -> list[str]:
    mesh = f"http://127.0.0.1:{settings.port}"
    args = [
        binary,
        "-http-addr", f"127.0.0.1:{settings.authz_http_port}",
        "-grpc-addr", f"127.0.0.1:{settings.authz_grpc_port}",
        "-metrics-addr", "",
        "-jwks-url", f"{mesh}/api/v1/auth/.well-known/jwks.json",
        "-issuer", settings.jwt_issuer,
        "-audience", settings.jwt_audience,
        "-allowed-origins", ",".join(settings.allowed_origins),
    ]  # fmt: skip
    if settings.mode == "real":
        args += ["-redis-url", settings.redis_url, "-redis-prefix", settings.redis_prefix]
        if settings.redis_cluster:
            args.append("-redis-cluster")  # the URL names one node of a Redis Cluster
    else:
        internal = f"http://127.0.0.1:{settings.internal_port}"  # the feed is cluster-local
        args += ["-revocations-url", f"{internal}/internal/auth/revocations"]
    return args


class AuthzProcess:
    """The authz child process: started with the mesh, stopped with it."""

    def __init__(self, settings: Settings, binary: str) -> None:
        self._command = authz_command(settings, binary)
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(*self._command)
        log.info("ext-authz started (pid %s): %s", self._proc.pid, " ".join(self._command))

    async def stop(self) -> None:
        if self._proc is None or self._proc.returncode is not None:
            return
        self._proc.terminate()
        try:
            await asyncio.wait_for(self._proc.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            await self._proc.wait()
