"""The LLM package's declaration module: no functions, two dependencies, one migration."""

from __future__ import annotations

FUNCTIONS = ()

PROVIDERS = {
    "llm": "functions.kit.llm.wiring:llm",
    "llm_usage": "functions.kit.llm.wiring:llm_usage",
}
