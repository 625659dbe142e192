"""A subscriber that records what it receives and misbehaves on request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from cloudevents.http import CloudEvent

from eventing.errors import PermanentError


class Recorder:
    """Records every call; fails an event `fail_times` times (from its data) before succeeding."""

    def __init__(
        self,
        reply: Callable[[CloudEvent], Sequence[CloudEvent]] | None = None,
        delay_s: Callable[[CloudEvent], float] | None = None,
        permanent: bool = False,
    ) -> None:
        self.calls: list[CloudEvent] = []
        self.effects: list[CloudEvent] = []
        self._reply = reply
        self._delay_s = delay_s
        self._permanent = permanent
        self.healthy = False  # when True, stop failing (lets a test fix then replay)

    async def deliver(self, event: CloudEvent) -> Sequence[CloudEvent]:
        self.calls.append(event)
        if self._delay_s is not None:
            await asyncio.sleep(self._delay_s(event))
        data = event.get_data() or {}
        failures = sum(1 for c in self.calls if c["id"] == event["id"]) - 1
        if not self.healthy and failures < int(data.get("fail_times", 0)):
            if self._permanent:
                raise PermanentError(f"order {data.get('n')} can never work")
            raise RuntimeError(f"order {data.get('n')} failed on purpose")
        self.effects.append(event)
        return self._reply(event) if self._reply else ()

    def effect_ids(self) -> list[str]:
        return [str(e["id"]) for e in self.effects]


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], timeout_s: float = 15.0, what: str = ""
) -> None:
    """Poll until `check` holds; fail with `what` if it never does."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or check}")
        await asyncio.sleep(0.02)
