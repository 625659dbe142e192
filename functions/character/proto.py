"""The CharacterService protobuf modules, generated in memory from `protos/` at first use."""

from __future__ import annotations

from typing import Any

from functions.kit import protos

PROTO_FILE = "eco2/character/v1/character.proto"
SERVICE = "eco2.character.v1.CharacterService"


def modules() -> tuple[Any, Any]:
    """(messages, services): the `_pb2` and `_pb2_grpc` modules of character.proto."""
    return protos.load(PROTO_FILE)
