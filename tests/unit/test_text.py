"""The request text types: what they refuse, what they let through, and that the pattern
the OpenAPI document shows says exactly the same."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field, ValidationError

from functions.kit.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, MultilineText, Text


class Form(BaseModel):
    title: Text = Field(max_length=20)
    body: MultilineText | None = Field(default=None, max_length=100)


@pytest.mark.parametrize("bad", ["a\x00b", "a\nb", "a\rb", "a\tb", "a\x1b", "\x7f", "a\x85"])
def test_one_line_text_refuses_control_characters(bad: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Form(title=bad)
    assert "one line without control characters" in str(raised.value)


@pytest.mark.parametrize("bad", ["a\x00b", "a\x0bb", "a\x0c", "\x1f", "\x7f", "a\x9f"])
def test_multiline_text_refuses_control_characters_but_line_breaks(bad: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Form(title="ok", body=bad)
    assert "control characters other than line breaks" in str(raised.value)


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(ValidationError):
        Form(title="a\ud800")
    with pytest.raises(ValidationError):
        Form.model_validate_json('{"title": "a\\ud800"}')


def test_what_people_write_passes_and_limits_still_hold() -> None:
    form = Form(title="라벨 뗀 생수 페트병 🧴", body="첫 줄\r\n둘째 줄\t끝")
    assert form.body == "첫 줄\r\n둘째 줄\t끝"
    with pytest.raises(ValidationError):
        Form(title="x" * 21)
    with pytest.raises(ValidationError):
        Form(title="x", body="x" * 101)


def test_the_documented_pattern_is_the_rule() -> None:
    schema = Form.model_json_schema()["properties"]
    assert schema["title"]["pattern"] == SINGLE_LINE_PATTERN
    assert schema["body"]["anyOf"][0]["pattern"] == MULTI_LINE_PATTERN
    for code in range(0x300):
        char = chr(code)
        for field, pattern in (("title", SINGLE_LINE_PATTERN), ("body", MULTI_LINE_PATTERN)):
            documented = re.fullmatch(pattern, char) is not None
            try:
                Form.model_validate({"title": "t", field: char})
                accepted = True
            except ValidationError:
                accepted = False
            assert documented == accepted, (field, hex(code))
