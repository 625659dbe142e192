"""Trigger filters on CloudEvent attributes: exact, prefix and suffix dialects.

Knative's RabbitMQ broker can only match exact attribute values (a headers exchange); the
dialects here are evaluated in the dispatcher so prefix/suffix work on every broker adapter,
while exact matches are still pushed down to the exchange binding where the adapter can.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class Dialect(enum.Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"


@dataclass(frozen=True, slots=True)
class AttributeFilter:
    """One condition on one attribute; a trigger matches when all its conditions hold."""

    attribute: str
    value: str
    dialect: Dialect = Dialect.EXACT

    def __post_init__(self) -> None:
        if not self.attribute or self.attribute != self.attribute.lower():
            raise ValueError(f"attribute names are lower-case and non-empty: {self.attribute!r}")
        if not self.value:
            raise ValueError(f"filter on {self.attribute!r} needs a non-empty value")

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        actual = attributes.get(self.attribute)
        if actual is None:
            return False
        text = str(actual)
        if self.dialect is Dialect.EXACT:
            return text == self.value
        if self.dialect is Dialect.PREFIX:
            return text.startswith(self.value)
        return text.endswith(self.value)


def exact(attribute: str, value: str) -> AttributeFilter:
    return AttributeFilter(attribute, value, Dialect.EXACT)


def prefix(attribute: str, value: str) -> AttributeFilter:
    return AttributeFilter(attribute, value, Dialect.PREFIX)


def suffix(attribute: str, value: str) -> AttributeFilter:
    return AttributeFilter(attribute, value, Dialect.SUFFIX)


def matches_all(filters: Iterable[AttributeFilter], attributes: Mapping[str, Any]) -> bool:
    """True when every filter holds; no filters means the trigger takes every event."""
    return all(f.matches(attributes) for f in filters)
