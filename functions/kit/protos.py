"""Protobuf modules generated in memory from `protos/` at first use.

No generated code is committed: `grpc.protos_and_services` (grpcio-tools) compiles a .proto
when asked. The include root `protos/` is put on `sys.path` only for that call, so each file
keeps its canonical name (e.g. `eco2/character/v1/character.proto`, what buf and Go clients
use) and nothing else in the process can import from it by accident.
"""

from __future__ import annotations

import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

PROTO_ROOT = Path(__file__).resolve().parents[2] / "protos"
_LOCK = threading.Lock()


@cache
def load(proto_file: str) -> tuple[Any, Any]:
    """(messages, services): the `_pb2` and `_pb2_grpc` modules of one file under `protos/`."""
    import grpc  # type: ignore[import-untyped]  # noqa: PLC0415 - only gRPC users pay for it

    root = str(PROTO_ROOT)
    with _LOCK:
        added = root not in sys.path
        if added:
            sys.path.append(root)
        try:
            return grpc.protos_and_services(proto_file)  # type: ignore[no-any-return]
        finally:
            if added:
                sys.path.remove(root)
