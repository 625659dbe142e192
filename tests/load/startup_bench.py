"""Import-to-ready time of each function served alone, as Knative cold-starts it.

For every declared function this starts the real deployed command (functions-framework for
event functions, uvicorn for HTTP functions) on a loopback port and times process spawn to the
first 200 from /health, which builds the function. It prints, per function, the median over a
few runs, the modules loaded, and the same for the whole mesh and a bare interpreter, so the
figures read as ratios on whatever machine runs them.

    uv run python -m tests.load.startup_bench [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import sys
import time
from pathlib import Path

import httpx

from functions.kit.bootstrap import build_registry
from functions.kit.declare import Function
from functions.kit.manifests import command

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FUNCTIONS_FRAMEWORK = ["functions-framework", "--source", "functions/kit/hosting.py",
                       "--target", "serve", "--signature-type", "http", "--asgi"]  # fmt: skip


def _command(fn: Function | None, port: int, ff: bool = False) -> list[str]:
    """The deployed command, from the manifests, bound to a loopback port instead."""
    if fn is None:  # the whole mesh in one process
        return [str(BIN / "eco2"), "run", "--port", str(port), "--internal-port", str(_port())]
    if ff:  # the same event function under functions-framework, for comparison
        program, *args = FUNCTIONS_FRAMEWORK
        return [str(BIN / program), *args, "--host", "127.0.0.1", "--port", str(port)]
    program, *args = command(fn)
    return [str(BIN / program), *args, "--host", "127.0.0.1", "--port", str(port)]


async def _once(fn: Function | None, ff: bool = False) -> tuple[float, int]:
    port = _port()
    env = {**os.environ, "ECO2_FUNCTION": fn.name if fn else ""}
    if fn is not None:
        env["ECO2_DOMAIN"] = fn.domain  # as the generated manifest sets it
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *_command(fn, port, ff),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    path = "/ready" if fn is None else "/health"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(3000):  # bounded: 30 s at most
                try:
                    response = await http.get(path)
                    if response.status_code == 200:
                        elapsed = time.perf_counter() - started
                        modules = int(response.json().get("modules", 0))
                        return elapsed * 1000, modules
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.01)
        raise RuntimeError(f"{fn.name if fn else 'mesh'} never became ready")
    finally:
        if proc.returncode is None:  # it may have exited on its own (a failed startup)
            proc.terminate()
        await proc.wait()


async def _bare_interpreter() -> float:
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    return (time.perf_counter() - started) * 1000


async def main(runs: int) -> None:
    print(f"machine: {platform.node()} {os.cpu_count()} cpu, Python {platform.python_version()}")
    bare = statistics.median([await _bare_interpreter() for _ in range(runs)])
    print(f"bare interpreter start: {bare:.0f} ms\n")
    print(f"{'function':28} {'kind':6} {'ready ms (median)':>18} {'modules':>8} {'× bare':>7}")
    targets: list[Function | None] = [*build_registry(), None]
    for fn in targets:
        samples = [await _once(fn) for _ in range(runs)]
        ms = statistics.median(s[0] for s in samples)
        name, kind = (fn.name, fn.kind.value) if fn else ("(whole mesh, eco2 run)", "mesh")
        print(f"{name:28} {kind:6} {ms:18.0f} {samples[-1][1]:8d} {ms / bare:7.1f}")
    peer = next(f for f in targets if f is not None and f.kind.value == "event")
    samples = [await _once(peer, ff=True) for _ in range(runs)]
    ms = statistics.median(s[0] for s in samples)
    name = f"{peer.name} (functions-fw)"
    print(f"{name:28} {'event':6} {ms:18.0f} {samples[-1][1]:8d} {ms / bare:7.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
