"""LLM evaluation: tier-1 code graders, a tier-2 LLM judge, tier-3 calibration (ADR 0022)."""
