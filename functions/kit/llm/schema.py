"""Pydantic models to each provider's structured-output schema, and answers back to models.

OpenAI's strict mode wants every object closed (`additionalProperties: false`) with every
property required; Gemini's `response_json_schema` takes a plain subset. Both get `$ref`s
inlined and keywords neither needs (titles, defaults, examples) removed, so one pydantic
model is the single definition of what a stage may receive.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from functions.kit.llm.errors import LLMOutputError

_DROPPED = frozenset({"title", "default", "examples", "discriminator", "$defs", "definitions"})
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def schema_name(task: str) -> str:
    """The schema's name on the wire: "scan.vision" -> "scan_vision" (OpenAI's name rule)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", task)[:64] or "output"


def openai_strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in OpenAI's strict form."""
    raw = model.model_json_schema()
    return _convert(raw, raw.get("$defs", {}), closed=True, seen=())


def gemini_json_schema(model: type[BaseModel], title: str | None = None) -> dict[str, Any]:
    """The model's JSON schema for Gemini's `response_json_schema` (refs inlined). Gemini
    requests carry no schema name, so `title` (the schema name) names it instead."""
    raw = model.model_json_schema()
    converted = _convert(raw, raw.get("$defs", {}), closed=False, seen=())
    return {"title": title, **converted} if title else converted


def _convert(
    node: dict[str, Any], defs: dict[str, Any], *, closed: bool, seen: tuple[str, ...]
) -> dict[str, Any]:
    node = _resolve(node, defs, seen)
    if "$ref" in node:  # _resolve leaves the ref name here only to carry the recursion guard
        seen = (*seen, node.pop("$ref"))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "properties":
            out[key] = {k: _convert(v, defs, closed=closed, seen=seen) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _convert(value, defs, closed=closed, seen=seen)
        elif key in ("anyOf", "oneOf"):
            out["anyOf"] = [_convert(v, defs, closed=closed, seen=seen) for v in value]
        else:
            out[key] = value
    if "properties" in out:
        out["required"] = list(out["properties"])
        if closed:
            out["additionalProperties"] = False
        else:
            out.pop("additionalProperties", None)
    elif closed and out.get("type") == "object":
        raise ValueError("strict structured output cannot have free-form objects (dict fields)")
    return out


def _resolve(node: dict[str, Any], defs: dict[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    """The node with a `$ref` (or a lone `allOf` wrapper) replaced by its definition."""
    if len(node.get("allOf", ())) == 1:
        node = {**{k: v for k, v in node.items() if k != "allOf"}, **node["allOf"][0]}
    ref = node.get("$ref")
    if ref is None:
        return dict(node)
    name = str(ref).rsplit("/", 1)[-1]
    if name in seen:
        raise ValueError(f"recursive schema ({name}) cannot be inlined for structured output")
    if name not in defs:
        raise ValueError(f"unresolvable $ref {ref}")
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    return {**defs[name], **siblings, "$ref": name}


def parse_output(schema: type[BaseModel], text: str, where: str) -> BaseModel:
    """The provider's text as an instance of `schema`, or LLMOutputError saying why not."""
    body = text.strip()
    fenced = _FENCE.match(body)  # OpenAI-compatible servers without strict mode may fence it
    if fenced:
        body = fenced.group(1)
    if not body:
        raise LLMOutputError(f"{where}: empty answer")
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        raise _mismatch(schema, where, exc) from None


def validate_output(schema: type[BaseModel], data: Any, where: str) -> BaseModel:
    """An already-decoded answer (the offline provider's) as an instance of `schema`."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise _mismatch(schema, where, exc) from None


def _mismatch(schema: type[BaseModel], where: str, exc: ValidationError) -> LLMOutputError:
    """The first problem, said in one line (a model's answer can be long)."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(root)"
    return LLMOutputError(
        f"{where}: answer does not match {schema.__name__} at {loc}: {first['msg']}"
    )


def text_output(schema: type[BaseModel], text: str, where: str) -> BaseModel:
    """A grounded (web-search) answer is plain text: it fills the schema's one string field."""
    fields = [n for n, f in schema.model_fields.items() if f.annotation in (str, "str")]
    if len(fields) != 1:
        raise LLMOutputError(f"{where}: a web-search answer needs a schema with one text field")
    return validate_output(schema, {fields[0]: text}, where)
