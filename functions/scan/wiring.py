"""Container providers of the scan domain (named in `functions.py` PROVIDERS)."""

from __future__ import annotations

from functions.kit.container import Container
from functions.scan.knowledge.engine import RuleEngine
from functions.scan.knowledge.loader import load_knowledge
from functions.scan.knowledge.model import KnowledgeBase
from functions.scan.ports import ScanRepository


async def scan_knowledge(container: Container) -> KnowledgeBase:
    """Loaded and validated once per process, at start: a broken knowledge base stops the
    process before it takes traffic, not on the first scan."""
    del container
    return load_knowledge()


async def rule_engine(container: Container) -> RuleEngine:
    return RuleEngine(await container.get("scan_knowledge"))


async def scan_jobs(container: Container) -> ScanRepository:
    if container.settings.mode == "embedded":
        from functions.scan.memory_repository import MemoryScanRepository  # noqa: PLC0415

        return MemoryScanRepository()
    from functions.scan.postgres_repository import PostgresScanRepository  # noqa: PLC0415

    return PostgresScanRepository(await container.pg_pool())
