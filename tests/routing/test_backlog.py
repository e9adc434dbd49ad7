"""How far behind the delivery worker is: the age of the oldest record still waiting on its
partitions, reported by the worker loop from each batch it handles (pure parts, then the loop
on a real broker, whose high-water marks are what it reads)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer

from routing.backlog import DeliveryBacklog
from routing.bus import make_consumer, make_producer
from routing.topics import TopicRole, TopicSpec, ensure_topics
from routing.worker_loop import BatchHandler, Records, run_worker


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_nothing_waiting_means_no_delay() -> None:
    backlog = DeliveryBacklog(Clock(1_000.0))
    assert backlog.delay() == 0.0
    backlog.handled("p0", 990_000, remaining=0)  # handled to the end of the partition
    assert backlog.delay() == 0.0
    backlog.handled("p1", 990_000, remaining=None)  # the broker did not say: not counted
    assert backlog.delay() == 0.0


def test_the_delay_is_the_age_of_the_oldest_partition_with_records_left() -> None:
    clock = Clock(1_000.0)
    backlog = DeliveryBacklog(clock)
    backlog.handled("p0", 997_000, remaining=40)
    backlog.handled("p1", 994_500, remaining=3)
    assert backlog.delay() == pytest.approx(5.5)
    clock.now = 1_002.0  # the worker says nothing more: the delay grows
    assert backlog.delay() == pytest.approx(7.5)
    backlog.handled("p1", 999_000, remaining=0)  # p1 caught up; p0 still waits
    assert backlog.delay() == pytest.approx(5.0)
    backlog.caught_up()
    assert backlog.delay() == 0.0


class Slow:
    """Handles each batch in `pause` seconds and notes the backlog's delay after each."""

    def __init__(self, backlog: DeliveryBacklog, pause: float) -> None:
        self.backlog = backlog
        self.pause = pause
        self.handled = 0
        self.delays: list[float] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        return None

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        self.delays.append(self.backlog.delay())  # what the previous batch left behind
        await asyncio.sleep(self.pause)
        self.handled += sum(len(batch) for batch in records.values())
        await consumer.commit()


@pytest.mark.integration
async def test_the_worker_loop_reports_records_waiting_then_none(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}deliveries"
    await ensure_topics(kafka_bootstrap, (TopicSpec(TopicRole.DELIVERIES, topic, 1, 1),))
    producer = make_producer(kafka_bootstrap, client_id="test")
    await producer.start()
    stamped = int(time.time() * 1000) - 30_000  # written half a minute ago
    try:
        sent = [
            await producer.send(topic, b"x" * 100, timestamp_ms=stamped + n) for n in range(300)
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    backlog = DeliveryBacklog()
    handler = Slow(backlog, pause=0.05)
    stop = asyncio.Event()

    def build() -> tuple[AIOKafkaConsumer, BatchHandler]:
        consumer = make_consumer(
            kafka_bootstrap, topic, group_id=f"{topic_prefix}deliver", client_id="test",
            max_poll_records=50,
        )  # fmt: skip
        return consumer, handler

    task = asyncio.create_task(run_worker(build, stop, poll_ms=100, backlog=backlog))
    try:
        for _ in range(300):
            if handler.handled == 300:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a poll or more that returns nothing
        final = backlog.delay()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    assert handler.handled == 300
    waited: Sequence[float] = handler.delays[1:]  # after the first batch, records were left
    assert waited and all(delay >= 29 for delay in waited[:-1])
    assert final == 0.0  # all handled, nothing waits
