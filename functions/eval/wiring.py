"""Container providers of the eval domain (named in `functions.py` PROVIDERS), by mode."""

from __future__ import annotations

from functions.eval.ports import GradingBudget
from functions.kit.container import Container


async def eval_budget(container: Container) -> GradingBudget:
    settings = container.settings
    if settings.mode == "embedded":
        from functions.eval.budget import MemoryBudget  # noqa: PLC0415

        return MemoryBudget()
    from functions.eval.budget import RedisBudget  # noqa: PLC0415

    return RedisBudget(await container.redis(), settings.redis_prefix)
