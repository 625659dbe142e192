"""The LLM port, its adapters (OpenAI, Gemini, offline) and the resilient client (ADR 0010).

Import from the submodules: `port` and `errors` are light; the SDK adapters are imported by
`wiring` only when their provider is configured.
"""
