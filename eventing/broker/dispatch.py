"""Dispatch semantics shared by every broker adapter.

An adapter only moves bytes and acknowledgements; this module decides what a delivery means:
filter, idempotency claim, handler with timeout, reply publication, and whether a failure
retries or dead-letters. Keeping it in one place is what makes the adapters interchangeable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

from cloudevents.http import CloudEvent

from eventing.broker.notice import is_notice, notice_for
from eventing.broker.port import DeliveryObserver, Subscription
from eventing.codec import (
    STRUCTURED_CONTENT_TYPE,
    attributes_of,
    from_http_request,
    to_http_structured,
)
from eventing.errors import (
    ClaimLostError,
    Disposition,
    EventingError,
    HandlerTimeoutError,
    InProgressError,
    PermanentError,
    disposition_of,
)
from eventing.filters import matches_all
from eventing.idempotency import Claim, ProcessedStore, event_key
from eventing.tracing import consuming, producing, set_attribute, tracer

log = logging.getLogger(__name__)
LEASE_S = 10.0  # a claim outlives its holder by at most this long after a crash
MARGIN = 0.1  # of the lease: a holder gives up this much before the store's copy lapses
BUSY_DELAY_S = 1.0  # how long a duplicate waits for the holder of the claim


@dataclass(frozen=True, slots=True)
class Ack:
    """Done with this delivery: processed, a duplicate, or not for this trigger."""

    reason: str = "processed"


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again after `delay_s`; `counts` is False while another delivery holds the claim."""

    delay_s: float
    error: str
    counts: bool = True


@dataclass(frozen=True, slots=True)
class Dead:
    """Out of attempts or permanently failed; `kept` is False when the trigger drops them.
    `error_type` is the failure's kind (its exception's class name), carried as data."""

    error: str
    kept: bool = True
    error_type: str | None = None


Outcome = Ack | Retry | Dead
Publish = Callable[[CloudEvent], Awaitable[None]]
Classify = Callable[[BaseException], Disposition]


def outcome_label(outcome: Outcome) -> str:
    """The `outcome` label of the deliveries metric and the consumer span."""
    if isinstance(outcome, Ack):
        return "ack"
    if isinstance(outcome, Dead):
        return "dead"
    return "retry" if outcome.counts else "busy"


def encode_replies(replies: Sequence[CloudEvent]) -> str:
    return json.dumps([to_http_structured(r)[1].decode() for r in replies])


def decode_replies(text: str) -> list[CloudEvent]:
    structured = {"content-type": STRUCTURED_CONTENT_TYPE}
    return [from_http_request(structured, body.encode()) for body in json.loads(text)]


def describe(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"[:2000]


class _Lease:
    """Keeps a claim while its handler runs, and stops the handler once the claim is lost.

    Renewed every lease/3 (a timer: most handlers finish before the first renewal is due).
    The claim is the holder's only while the store says so. When a renewal finds another
    holder, or no renewal has succeeded for the lease less a margin — the store's copy lapses
    about then: a starved loop, an unreachable Redis — the handler's deadline is moved to now,
    so the next holder does not run alongside it. The local deadline runs from when the last
    successful claim or renewal was *sent*, so it always comes before the store's expiry.
    Replies being published after the handler returned are not stopped (their ids are stable).
    """

    __slots__ = ("_deadline", "_handler", "_holder", "_key", "_lease_s", "_loop", "_renewal",
                 "_stopped", "_store", "_timer", "lost")  # fmt: skip

    def __init__(
        self, store: ProcessedStore, key: str, holder: str, lease_s: float, sent: float
    ) -> None:
        self._store = store
        self._key = key
        self._holder = holder
        self._lease_s = lease_s
        self._loop = asyncio.get_running_loop()
        self._handler: asyncio.Timeout | None = None  # the running handler's deadline
        self._renewal: asyncio.Task[None] | None = None
        self._stopped = False
        self.lost: str | None = None  # why, once the claim is lost
        self._timer = self._loop.call_later(lease_s / 3, self._due)
        self._deadline = self._expiry(sent)

    @contextlib.contextmanager
    def guarding(self, handler: asyncio.Timeout) -> Iterator[None]:
        """While the handler runs under `handler`, a lost claim expires it at once (its
        TimeoutError then says `lost`)."""
        self._handler = handler
        try:
            yield
        finally:
            self._handler = None

    def _due(self) -> None:
        self._renewal = self._loop.create_task(self._renew())

    async def _renew(self) -> None:
        sent = self._loop.time()
        try:
            ours = await self._store.renew(self._key, self._holder, self._lease_s)
        except EventingError:  # the store translates its library's errors into these
            log.warning("could not renew idempotency claim %r", self._key, exc_info=True)
        else:
            if not ours:
                self._lose("another delivery holds the claim now")
                return
            self._deadline.cancel()
            self._deadline = self._expiry(sent)
        if not self._stopped:
            self._timer = self._loop.call_later(self._lease_s / 3, self._due)

    def _expiry(self, sent: float) -> asyncio.TimerHandle:
        """The local end of a claim or renewal sent at `sent`: before the store's own."""
        return self._loop.call_at(sent + self._lease_s * (1 - MARGIN), self._expired)

    def _expired(self) -> None:
        self._lose(f"no renewal succeeded within {self._lease_s * (1 - MARGIN):g}s")

    def _lose(self, why: str) -> None:
        if self._stopped:
            return
        self._halt()
        log.warning("idempotency claim %r lost (%s)", self._key, why)
        if self._handler is not None and not self._handler.expired():
            self.lost = why
            self._handler.reschedule(self._loop.time())  # the handler stops now

    def stop(self) -> None:
        self._halt()
        if self._renewal is not None and self._renewal is not asyncio.current_task():
            self._renewal.cancel()

    def _halt(self) -> None:
        self._stopped = True
        self._timer.cancel()
        self._deadline.cancel()


class Dispatcher:
    def __init__(
        self,
        publish: Publish,
        store: ProcessedStore,
        classify: Classify = disposition_of,
        lease_s: float = LEASE_S,
        keep_replies: bool = False,
        *,
        observer: DeliveryObserver | None = None,
    ) -> None:
        self._publish = publish
        self._observer = observer
        self._store = store
        self._classify = classify
        self._lease_s = lease_s
        self._keep_replies = keep_replies  # for hosts whose reply travels in a response

    async def process(self, sub: Subscription, event: CloudEvent, attempt: int) -> Outcome:
        """Run one delivery attempt and say what the transport must do with the message.

        The one place every delivery is decided, so also where it is observed: a consumer
        span (child of the producer's, from the event's `traceparent`) and the outcome counted;
        both cost one `None` check each when the process has no tracer or metrics."""
        if not matches_all(sub.filters, attributes_of(event)):
            return Ack("filtered")
        if tracer() is None:
            outcome = await self._attempt(sub, event, attempt)
        else:
            with consuming(event, sub.name, attempt) as span:
                outcome = await self._attempt(sub, event, attempt)
                set_attribute(span, "eco2.outcome", outcome_label(outcome))
        if self._observer is not None:
            self._observer.delivered(sub.name, outcome_label(outcome))
        return outcome

    async def _attempt(self, sub: Subscription, event: CloudEvent, attempt: int) -> Outcome:
        key = event_key(sub.name, str(event["source"]), str(event["id"]))
        holder = uuid.uuid4().hex
        sent = asyncio.get_running_loop().time()
        try:
            claim = await self._store.claim(key, self._lease_s, holder)
        except EventingError as exc:
            return await self._notify(sub, event, attempt, self.failed(sub, attempt, exc))
        if claim is Claim.DONE:
            return await self._duplicate(key)
        if claim is Claim.BUSY:  # wait for the holder to finish or its lease to lapse
            error = str(InProgressError(f"{key!r} is being processed elsewhere"))
            return Retry(BUSY_DELAY_S, error, counts=False)
        lease = _Lease(self._store, key, holder, self._lease_s, sent)
        try:
            replies = await self._run(sub, event, lease)
            if len(replies) == 1:  # the common case, without gather's task per reply
                await self._reply(replies[0])
            elif replies:
                await asyncio.gather(*(self._reply(reply) for reply in replies))
            lease.stop()
            await self._store.complete(key, encode_replies(replies) if self._keep_replies else "")
        except ClaimLostError as exc:  # stopped: the next holder runs it (or already did)
            await self._release(key, holder)  # in case it is still ours after all
            return Retry(BUSY_DELAY_S, describe(exc), counts=False)
        except Exception as exc:
            lease.stop()
            await self._release(key, holder)
            return await self._notify(sub, event, attempt, self.failed(sub, attempt, exc))
        finally:  # also when cancelled (shutdown): an abandoned claim must be left to lapse
            lease.stop()
        return Ack()

    async def _duplicate(self, key: str) -> Outcome:
        """A redelivery of a processed event: re-send the kept replies, run nothing."""
        if self._keep_replies:
            try:
                for reply in decode_replies(await self._store.result(key) or "[]"):
                    await self._reply(reply)
            except EventingError as exc:
                return Retry(BUSY_DELAY_S, describe(exc))
        return Ack("duplicate")

    async def _run(
        self, sub: Subscription, event: CloudEvent, lease: _Lease
    ) -> Sequence[CloudEvent]:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # lands as the handler finishes, and the consumer task then never stops on close().
        started = time.perf_counter() if self._observer is not None else 0.0
        try:
            async with asyncio.timeout(sub.delivery.timeout_s) as deadline:
                with lease.guarding(deadline):
                    replies = await sub.subscriber.deliver(event)
        except TimeoutError:
            if lease.lost is not None:
                raise ClaimLostError(f"claim lost while the handler ran: {lease.lost}") from None
            raise HandlerTimeoutError(f"no answer within {sub.delivery.timeout_s}s") from None
        finally:
            if self._observer is not None:
                self._observer.handled(sub.name, time.perf_counter() - started)
        if sub.replies is not None:
            stray = [str(r["type"]) for r in replies if r["type"] not in sub.replies]
            if stray:
                raise PermanentError(f"{sub.name} replied with undeclared type(s) {stray}")
        return replies

    def failed(self, sub: Subscription, attempt: int, exc: BaseException) -> Outcome:
        """Retry with backoff while attempts remain and the error is transient."""
        error = describe(exc)
        log.warning("trigger %s attempt %d failed: %s", sub.name, attempt, error)
        if self._classify(exc) is Disposition.RETRY and attempt < sub.delivery.max_attempts:
            return Retry(sub.delivery.delay_before(attempt + 1), error)
        return Dead(error, kept=sub.delivery.dead_letter, error_type=type(exc).__name__)

    async def _notify(
        self, sub: Subscription, event: CloudEvent, attempt: int, outcome: Outcome
    ) -> Outcome:
        """Publish the dead-letter notice before giving up, so the owner of the work can end
        it; if that publish fails the delivery is retried instead, and nothing goes silent."""
        if not isinstance(outcome, Dead) or is_notice(event):
            return outcome
        try:
            notice = notice_for(sub.name, event, attempt, outcome.error, outcome.error_type)
            await self._reply(notice)
        except EventingError as exc:
            log.warning("trigger %s: dead-letter notice not published: %s", sub.name, exc)
            return Retry(BUSY_DELAY_S, f"{outcome.error}; notice not published: {describe(exc)}")
        return outcome

    async def _reply(self, reply: CloudEvent) -> None:
        """Publish a reply (or a notice) under its own producer span, which it then carries."""
        if tracer() is None:
            await self._publish(reply)
            return
        with producing(reply):
            await self._publish(reply)

    async def _release(self, key: str, holder: str) -> None:
        try:
            await self._store.release(key, holder)
        except EventingError:  # the lease expires on its own; the retry then claims it
            log.exception("could not release idempotency claim %r", key)
