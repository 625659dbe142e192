"""The CharacterService protobuf modules, generated in memory from `protos/` at first use.

No generated code is committed: `grpc.protos_and_services` (grpcio-tools) compiles the
.proto when asked. The include root `protos/` is put on `sys.path` only for that call, so the
file keeps its canonical name `eco2/character/v1/character.proto` (what buf and Go clients
use) and nothing else in the process can import from it by accident.
"""

from __future__ import annotations

import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]  # no stubs shipped

PROTO_ROOT = Path(__file__).resolve().parents[2] / "protos"
PROTO_FILE = "eco2/character/v1/character.proto"
SERVICE = "eco2.character.v1.CharacterService"
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def modules() -> tuple[Any, Any]:
    """(messages, services): the `_pb2` and `_pb2_grpc` modules of character.proto."""
    root = str(PROTO_ROOT)
    with _LOCK:
        added = root not in sys.path
        if added:
            sys.path.append(root)
        try:
            messages, services = grpc.protos_and_services(PROTO_FILE)
        finally:
            if added:
                sys.path.remove(root)
    return messages, services
