"""Pydantic models to strict OpenAI / Gemini schemas, and provider text back to models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel, Field

from functions.kit.llm.errors import LLMOutputError
from functions.kit.llm.schema import (
    gemini_json_schema,
    openai_strict_schema,
    parse_output,
    schema_name,
)


class Material(StrEnum):
    PET = "pet"
    GLASS = "glass"


class Part(BaseModel):
    name: str = Field(title="Part name", description="what the part is called")
    material: Material


class Item(BaseModel):
    label: str
    parts: list[Part]
    main: Part = Field(description="the biggest part")
    note: str | None = None  # optional with a default: strict mode still requires it
    confidence: float = 0.5


class Tree(BaseModel):
    name: str
    children: list[Tree]


class Loose(BaseModel):
    extra: dict[str, str]


def walk(node: Any) -> list[dict[str, Any]]:
    """Every schema object in the tree."""
    if isinstance(node, dict):
        return [node, *[n for v in node.values() for n in walk(v)]]
    if isinstance(node, list):
        return [n for v in node for n in walk(v)]
    return []


@pytest.mark.parametrize(
    ("task", "name"),
    [("scan.vision", "scan_vision"), ("scan answer/v2", "scan_answer_v2"), ("a-b_c", "a-b_c")],
)
def test_schema_names_keep_only_what_openai_accepts(task: str, name: str) -> None:
    assert schema_name(task) == name


def test_the_openai_schema_is_strict_every_object_closed_and_fully_required() -> None:
    schema = openai_strict_schema(Item)
    objects = [n for n in walk(schema) if "properties" in n]
    assert len(objects) == 3  # the item, each part, the main part: refs inlined
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    keys = {k for n in walk(schema) for k in n}
    assert not keys & {"$ref", "$defs", "title", "default", "allOf"}
    assert schema["properties"]["main"]["description"] == "the biggest part"
    assert schema["properties"]["main"]["properties"]["material"]["enum"] == ["pet", "glass"]
    assert schema["properties"]["note"]["anyOf"] == [{"type": "string"}, {"type": "null"}]


def test_the_gemini_schema_is_named_by_its_title_and_has_no_closed_objects() -> None:
    schema = gemini_json_schema(Item, "scan_vision")
    assert schema["title"] == "scan_vision"
    assert all("additionalProperties" not in n for n in walk(schema))
    assert schema["required"] == ["label", "parts", "main", "note", "confidence"]
    assert "$ref" not in str(schema)


def test_recursive_and_free_form_models_cannot_be_strict() -> None:
    with pytest.raises(ValueError, match="recursive"):
        openai_strict_schema(Tree)
    with pytest.raises(ValueError, match="free-form"):
        openai_strict_schema(Loose)


def test_a_valid_answer_parses_even_inside_a_markdown_fence() -> None:
    text = '```json\n{"label": "병", "parts": [], "main": {"name": "뚜껑", "material": "pet"},'
    text += ' "note": null, "confidence": 0.9}\n```'
    item = parse_output(Item, text, "test")
    assert isinstance(item, Item)
    assert item.main.material is Material.PET


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty answer"),
        ('{"label": "병", "parts": [', "Invalid JSON"),
        ('{"label": "병"}', "at parts"),
        ('{"label": "병", "parts": [], "main": {"name": "x", "material": "tin"}}', "main.material"),
    ],
)
def test_a_bad_answer_is_an_output_error_saying_where(text: str, why: str) -> None:
    with pytest.raises(LLMOutputError, match=why):
        parse_output(Item, text, "openai gpt-5-mini scan.vision")
