"""`eco2`: run the local mesh, inspect functions, handle dead letters, generate manifests."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from functions.eval import cli as eval_cli
from functions.kit import operator_cli
from functions.kit.authz_process import authz_command
from functions.kit.bootstrap import build_registry
from functions.kit.manifests import check, generate
from functions.kit.mesh import Mesh
from functions.kit.settings import Settings
from functions.kit.telemetry import configure_logging
from functions.kit.worker import SERVES, Role, RoleError
from functions.location import cli as places_cli

CONTRACT_HTTP = "functions.kit.guard:HttpProtocol"

TOKEN_HELP = "operator token (default: ECO2_OPERATOR_TOKEN, else the operator credential file)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eco2", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the mesh: all of it, or one role (--real)")
    run.add_argument("--real", action="store_true", help="RabbitMQ + Redis instead of memory")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--internal-port", type=int, help="ingress, sinks, feeds, operator calls")
    run.add_argument("--authz-binary", help="start this ext-authz and put the edge in front")
    run.add_argument(
        "--serve",
        choices=SERVES,
        default="all",
        help="all (one process), http (API, SSE, edge, ingress) or events (consumers only)",
    )
    run.add_argument("--functions", help="event functions to consume, globs: 'scan-*,character-*'")
    run.add_argument(
        "--router",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the event router as a task here (default: where HTTP is served)",
    )
    run.add_argument(
        "--workers", type=int, default=1, help="uvicorn processes sharing the port (--real)"
    )
    scan = commands.add_parser("scan", help="scan a photo through a running mesh")
    scan.add_argument("photo", type=Path)
    scan.add_argument("--hint", help="what the user says about the item")
    scan.add_argument("--model")
    scan.add_argument("--url", default="http://127.0.0.1:8080")
    talk = commands.add_parser("chat", help="chat with 이코 through a running mesh")
    talk.add_argument("--message", help="send this one message (default: read lines)")
    talk.add_argument("--model")
    talk.add_argument("--lat", type=float)
    talk.add_argument("--lon", type=float)
    talk.add_argument("--url", default="http://127.0.0.1:8080")
    commands.add_parser("functions", help="list the declared functions")
    dead = commands.add_parser("dead-letters", help="list or replay dead letters")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("--id", action="append", dest="ids", help="replay only these (repeat)")
    dead.add_argument("--limit", type=int, default=100)
    dead.add_argument(
        "--url",
        nargs="?",
        const="",
        help="a running mesh's internal listener (bare --url: http://127.0.0.1:<internal port>);"
        " without --url: RabbitMQ directly",
    )
    dead.add_argument("--token", help=TOKEN_HELP)
    canary = commands.add_parser("canary", help="time a probe through a running mesh")
    canary.add_argument("--url", help="a running mesh's internal listener (default: "
                        "http://127.0.0.1:<internal port>)")  # fmt: skip
    canary.add_argument("--token", help=TOKEN_HELP)
    operator = commands.add_parser(
        "operator-token", help="mint an operator token with the configured signing key"
    )
    operator.add_argument("--name", required=True, help="the operator: sub is operator:<name>")
    operator.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")
    operator.add_argument("--save", action="store_true", help="also write the credential file")
    places_cli.add_parser(commands)
    eval_cli.add_parser(commands)
    manifests = commands.add_parser("manifests", help="generate or drift-check knative/")
    manifests.add_argument("action", choices=["generate", "check"])
    manifests.add_argument("--out", default="knative")
    return parser


def _run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {"mode": "real"} if args.real else {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.internal_port:
        overrides["internal_port"] = args.internal_port
    if args.authz_binary:
        overrides["authz_binary"] = args.authz_binary
    settings = Settings(**overrides)
    configure_logging(settings)  # JSON lines with trace ids in real mode (ECO2_LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the edge's per-request checks
    try:
        role = Role.parse(args.serve, args.functions, args.router)
        mesh = Mesh(settings, build_registry(), role=role, listen_internal=True)
    except RoleError as exc:
        print(f"eco2 run: {exc}", file=sys.stderr)
        return 2
    serving = "" if role.serve == "all" else f", serving {role.serve}"
    if args.workers > 1:
        serving += f", {args.workers} workers"
    print(
        f"Eco² mesh ({settings.mode}{serving}) on http://{settings.host}:{settings.port}"
        f" (internal: http://{settings.host}:{settings.internal_port})",
        flush=True,
    )
    if args.workers > 1:
        return _run_workers(settings, role, args.workers)
    uvicorn.run(
        mesh.app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=int(settings.drain_timeout_s),
        http=CONTRACT_HTTP,  # even the parser's own 400 in the contract's error format
    )
    return 0


def _run_workers(settings: Settings, role: Role, workers: int) -> int:
    """Several uvicorn processes on one port, each its own mesh built from the environment
    (`functions.kit.mesh:app_from_env`); the authz, if any, is started once, here."""
    if settings.mode != "real":
        print("eco2 run: --workers needs --real (the embedded mode lives in one process's "
              "memory)", file=sys.stderr)  # fmt: skip
        return 2
    env = {"ECO2_MODE": "real", "ECO2_HOST": settings.host, "ECO2_PORT": str(settings.port),
           "ECO2_INTERNAL_PORT": str(settings.internal_port)}  # fmt: skip
    os.environ.update(env | role.to_env())
    authz = None
    if settings.authz_binary and role.http:
        authz = subprocess.Popen(authz_command(settings, settings.authz_binary))
        os.environ["ECO2_AUTHZ_GRPC_ADDR"] = f"127.0.0.1:{settings.authz_grpc_port}"
        # each worker's /ready asks the authz's own readiness, as a one-process mesh does
        os.environ["ECO2_AUTHZ_READY_URL"] = f"http://127.0.0.1:{settings.authz_http_port}/readyz"
    os.environ.pop("ECO2_AUTHZ_BINARY", None)  # one authz, not one per worker
    try:
        uvicorn.run(
            "functions.kit.mesh:app_from_env",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=int(settings.drain_timeout_s),
            http=CONTRACT_HTTP,
        )
    finally:
        if authz is not None:
            authz.terminate()
            authz.wait(10)
    return 0


def _functions() -> int:
    for fn in build_registry():
        trigger = fn.trigger.type if fn.trigger else fn.route_prefix
        print(f"{fn.name:28} {fn.kind.value:5} {trigger}  -> {', '.join(fn.replies) or '-'}")
    return 0


def _manifests(args: argparse.Namespace) -> int:
    registry = build_registry()
    if args.action == "generate":
        for path in generate(registry, args.out):
            print(f"wrote {path}")
        return 0
    drift = check(registry, args.out)
    for line in drift:
        print(line, file=sys.stderr)
    return 1 if drift else 0


def _scan(args: argparse.Namespace) -> int:
    from functions.scan.cli import run  # noqa: PLC0415 - only this command needs it

    result: int = run(args.photo, args.hint, args.model, args.url)
    return result


def _chat(args: argparse.Namespace) -> int:
    from functions.chat.cli import run as chat  # noqa: PLC0415 - only this command needs it

    result: int = chat(args.url, args.message, args.model, args.lat, args.lon)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": _run,
        "scan": _scan,
        "chat": _chat,
        "functions": lambda _a: _functions(),
        "places": places_cli.run,
        "eval": eval_cli.run,
        "dead-letters": lambda a: asyncio.run(operator_cli.dead_letters(a)),
        "canary": lambda a: asyncio.run(operator_cli.canary(a)),
        "operator-token": operator_cli.mint_operator_token,
    }
    command = commands.get(args.command)
    return command(args) if command is not None else _manifests(args)


if __name__ == "__main__":
    sys.exit(main())
