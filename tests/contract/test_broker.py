"""One contract, two adapters: the in-memory broker must behave exactly like RabbitMQ."""

from __future__ import annotations

import asyncio
import random

from eventing.broker.policy import DeliveryPolicy
from eventing.broker.port import Subscription
from eventing.events.mesh import DEAD_LETTERED, ORIGIN_TYPE
from eventing.filters import exact, prefix, suffix
from tests.support.brokers import BrokerFactory
from tests.support.events import ORDER, RELAYED, Order, Relayed, make_test_catalog
from tests.support.recorder import Recorder, eventually

CATALOG = make_test_catalog()
FAST = DeliveryPolicy(retries=2, base_delay_s=0.05, timeout_s=5)


def order(n: int, **fields: object) -> object:
    return CATALOG.make(Order(n=n, **fields))  # type: ignore[arg-type]


def sub(name: str, recorder: Recorder, *filters: object, **options: object) -> Subscription:
    return Subscription(
        name=name,
        subscriber=recorder,
        filters=tuple(filters) or (exact("type", ORDER),),  # type: ignore[arg-type]
        **{"delivery": FAST, **options},  # type: ignore[arg-type]
    )


async def test_filters_exact_prefix_suffix(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    by_exact, by_prefix, by_suffix = Recorder(), Recorder(), Recorder()
    broker.subscribe(sub("exact", by_exact, exact("type", ORDER), exact("subject", "a")))
    broker.subscribe(sub("prefix", by_prefix, prefix("type", "kr.eco2.test.order.")))
    broker.subscribe(sub("suffix", by_suffix, suffix("subject", "-kr")))
    await broker.start()
    await broker.publish(CATALOG.make(Order(n=1), subject="a"))
    await broker.publish(CATALOG.make(Order(n=2), subject="b-kr"))
    await broker.publish(CATALOG.make(Relayed(n=3, hops=1), subject="a"))
    await eventually(lambda: len(by_prefix.effects) == 3 and len(by_suffix.effects) == 1)
    await asyncio.sleep(0.2)
    assert [e.get_data()["n"] for e in by_exact.effects] == [1]
    assert sorted(e.get_data()["n"] for e in by_prefix.effects) == [1, 2, 3]
    assert [e.get_data()["n"] for e in by_suffix.effects] == [2]


async def test_fan_out_to_every_matching_trigger(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    first, second = Recorder(), Recorder()
    broker.subscribe(sub("first", first))
    broker.subscribe(sub("second", second))
    await broker.start()
    await broker.publish(order(1))
    await eventually(lambda: len(first.effects) == 1 and len(second.effects) == 1)


async def test_reply_is_routed_onward(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    final = Recorder()

    def relay(event: object) -> list[object]:
        n = event.get_data()["n"]  # type: ignore[attr-defined]
        return [CATALOG.make(Relayed(n=n, hops=1))]

    broker.subscribe(sub("relay", Recorder(reply=relay), replies=(RELAYED,)))  # type: ignore[arg-type]
    broker.subscribe(sub("final", final, exact("type", RELAYED)))
    await broker.start()
    await broker.publish(order(7))
    await eventually(lambda: len(final.effects) == 1)
    assert final.effects[0].get_data() == {"n": 7, "hops": 1}


async def test_retry_then_dead_letter_with_cause(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    flaky = Recorder()
    broker.subscribe(sub("flaky", flaky))
    await broker.start()
    event = order(5, fail_times=99)
    await broker.publish(event)
    await eventually(lambda: len(flaky.calls) == 3, what="three attempts")
    letters = await _dead_letters(broker, 1)
    letter = letters[0]
    assert letter.trigger == "flaky"
    assert letter.attempts == 3
    assert "order 5 failed on purpose" in letter.error
    assert letter.event is not None and letter.event["id"] == event["id"]
    assert letter.event.get_data() == event.get_data()
    assert letter.failed_at.tzinfo is not None
    await asyncio.sleep(0.3)
    assert len(flaky.calls) == 3  # no fourth attempt


async def test_giving_up_publishes_a_notice_with_the_cause_and_data(
    make_broker: BrokerFactory,
) -> None:
    broker = make_broker()
    notices = Recorder()
    broker.subscribe(sub("broken", Recorder(permanent=True)))
    broker.subscribe(
        sub("owner", notices, exact("type", DEAD_LETTERED), prefix(ORIGIN_TYPE, "kr.eco2.test."))
    )
    await broker.start()
    event = CATALOG.make(Order(n=4, fail_times=1), subject="job-4")
    await broker.publish(event)
    await eventually(lambda: len(notices.effects) == 1, what="one dead-letter notice")
    notice = notices.effects[0]
    assert notice["subject"] == "job-4" and notice[ORIGIN_TYPE] == ORDER
    data = notice.get_data()
    assert data["trigger"] == "broken" and "PermanentError" in data["error"]
    assert (data["event_id"], data["data"]["n"]) == (event["id"], 4)
    await asyncio.sleep(0.2)
    assert len(notices.effects) == 1  # a notice is never itself noticed


async def test_permanent_error_dead_letters_at_once(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    broken = Recorder(permanent=True)
    broker.subscribe(sub("broken", broken))
    await broker.start()
    await broker.publish(order(1, fail_times=1))
    letters = await _dead_letters(broker, 1)
    assert letters[0].attempts == 1 and "PermanentError" in letters[0].error
    assert len(broken.calls) == 1


async def test_transient_failures_then_success(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    flaky = Recorder()
    broker.subscribe(sub("flaky", flaky))
    await broker.start()
    await broker.publish(order(1, fail_times=2))
    await eventually(lambda: len(flaky.effects) == 1)
    assert len(flaky.calls) == 3
    assert await broker.dead_letters() == []


async def test_replay_redelivers_to_the_failed_trigger_only(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    flaky, bystander = Recorder(), Recorder()
    bystander.healthy = True
    broker.subscribe(sub("flaky", flaky))
    broker.subscribe(sub("bystander", bystander))
    await broker.start()
    await broker.publish(order(9, fail_times=99))
    letters = await _dead_letters(broker, 1)
    flaky.healthy = True
    assert await broker.replay([letters[0].id]) == 1
    await eventually(lambda: len(flaky.effects) == 1)
    assert await broker.dead_letters() == []
    assert len(bystander.effects) == 1  # fan-out is not repeated by a replay


async def test_replay_all_and_unknown_ids(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    flaky = Recorder()
    broker.subscribe(sub("flaky", flaky))
    await broker.start()
    for n in range(3):
        await broker.publish(order(n, fail_times=99))
    await _dead_letters(broker, 3)
    assert await broker.replay(["no-such-id"]) == 0
    assert len(await broker.dead_letters()) == 3
    flaky.healthy = True
    assert await broker.replay() == 3
    await eventually(lambda: len(flaky.effects) == 3)


async def test_duplicate_delivery_has_a_single_effect(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    once = Recorder()
    broker.subscribe(sub("once", once))
    await broker.start()
    event = order(1)
    for _ in range(3):
        await broker.publish(event)  # same (source, id): a redelivery as far as anyone knows
    await eventually(lambda: len(once.effects) == 1)
    await asyncio.sleep(0.3)
    assert len(once.effects) == 1


async def test_order_is_kept_per_partition_key(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    jitter = random.Random(7)
    ordered = Recorder(delay_s=lambda _: jitter.uniform(0, 0.01))
    broker.subscribe(sub("ordered", ordered, concurrency=8, ordered_by="partitionkey"))
    await broker.start()
    keys = ["a", "b", "c"]
    for n in range(20):
        for key in keys:
            fail = 1 if (key == "b" and n == 5) else 0  # a retry must not let later ones pass
            data = Order(n=n, key=key, fail_times=fail)
            await broker.publish(CATALOG.make(data, extensions={"partitionkey": key}))
    await eventually(lambda: len(ordered.effects) == 60, timeout_s=30)
    for key in keys:
        seen = [e.get_data()["n"] for e in ordered.effects if e["partitionkey"] == key]
        assert seen == list(range(20)), key


async def test_handler_timeout_counts_as_a_failed_attempt(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    slow = Recorder(delay_s=lambda _: 1.0)
    policy = DeliveryPolicy(retries=1, base_delay_s=0.05, timeout_s=0.2)
    broker.subscribe(sub("slow", slow, delivery=policy))
    await broker.start()
    await broker.publish(order(1))
    letters = await _dead_letters(broker, 1)
    assert letters[0].attempts == 2 and "HandlerTimeoutError" in letters[0].error


async def test_undeclared_reply_type_is_dead_lettered(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    rogue = Recorder(reply=lambda e: [CATALOG.make(Order(n=0))])
    broker.subscribe(sub("rogue", rogue, replies=(RELAYED,)))
    await broker.start()
    await broker.publish(order(1))
    letters = await _dead_letters(broker, 1)
    assert "undeclared" in letters[0].error and letters[0].attempts == 1


async def test_health_reports_ready_once_started(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    assert not broker.health().ready
    await broker.start()
    assert broker.health().ready
    await broker.close()
    assert not broker.health().ready


async def _dead_letters(broker: object, count: int) -> list:  # type: ignore[type-arg]
    found: list = []  # type: ignore[type-arg]

    async def check() -> bool:
        found[:] = await broker.dead_letters()  # type: ignore[attr-defined]
        return len(found) >= count

    await eventually(check, what=f"{count} dead letter(s)")
    return found
