"""The Korean waste knowledge base (items, situation tags, rule documents) and the rule engine
that turns a classification into disposal steps, and the Korean retriever that finds them
from what a user typed (`retrieval`, ADR 0016). Nothing is loaded at import: a provider calls
`loader.load_knowledge()` once and keeps the result."""
