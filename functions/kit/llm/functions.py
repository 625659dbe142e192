"""The LLM package's declaration module: no functions, two dependencies, one migration."""

from __future__ import annotations

from functions.kit.container import Provider
from functions.kit.llm import wiring

FUNCTIONS = ()

PROVIDERS: dict[str, Provider] = {"llm": wiring.llm, "llm_usage": wiring.llm_usage}
