"""The text types of every request model: text a client sends never carries control bytes.

A NUL reaching PostgreSQL is a 500 (`text` cannot hold it), a newline in a one-line field
breaks logs and headers, and the C1 range is never typed by a person (nor is a lone surrogate,
which cannot even be encoded as UTF-8). `Text` is one line
(no control character at all); `MultilineText` allows line breaks and tabs (`\\n`, `\\r`,
`\\t`) and nothing else. Both are plain `str` to the code that reads them; a violation is a
422 in the contract's format (the kit's validation handler), naming the field.

    name: Text = Field(max_length=30)
    message: MultilineText = Field(max_length=4000)
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The same rules for the OpenAPI document (ECMA regex), so that clients and schema-driven
# fuzzers know them; lone surrogates cannot be written in JSON text anyway.
SINGLE_LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


class _Rule:
    """One text rule: checked in Python (where the message can say what was wrong) and
    documented as the string's `pattern` in the JSON schema."""

    def __init__(self, forbidden: re.Pattern[str], pattern: str, message: str) -> None:
        self.forbidden = forbidden
        self.pattern = pattern
        self.message = message

    def __call__(self, value: str) -> str:
        found = self.forbidden.search(value)
        if found:
            char = found.group()
            what = "NUL" if char == "\x00" else f"U+{ord(char):04X}"
            raise ValueError(f"{self.message} (found {what})")
        return value

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found: dict[str, Any] = handler(schema)
        found["pattern"] = self.pattern
        return found


single_line = _Rule(
    _SINGLE_LINE, SINGLE_LINE_PATTERN, "must be one line without control characters"
)
multi_line = _Rule(
    _MULTI_LINE, MULTI_LINE_PATTERN, "must not contain control characters other than line breaks"
)
Text = Annotated[str, AfterValidator(single_line), single_line]
MultilineText = Annotated[str, AfterValidator(multi_line), multi_line]
