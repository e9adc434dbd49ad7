"""The worker loop notices when it is stuck (batches that keep failing, records that wait and
never arrive), rebuilds its consumer and handler, says so in its health, and moves again."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition

from routing.worker_health import WorkerHealth
from routing.worker_loop import BatchHandler, Records, run_worker

TP = TopicPartition("deliveries", 0)


class FakeConsumer:
    """Hands out `batches` (then nothing); says `waiting` records lie past its position."""

    def __init__(self, batches: list[list[int]], *, waiting: int = 0) -> None:
        self.batches = batches
        self.waiting = waiting
        self.stopped = False
        self.seeks: list[int] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    async def getmany(self, timeout_ms: int = 0) -> Records:
        await asyncio.sleep(0.01)
        if not self.batches:
            return {}
        return {TP: cast(Any, [Record(o) for o in self.batches.pop(0)])}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append(offset)

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {TP: 100 + self.waiting}

    async def position(self, tp: TopicPartition) -> int:
        return 100

    def highwater(self, tp: TopicPartition) -> int:
        return 100 + self.waiting


class Record:
    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.timestamp = 0


class Handler:
    def __init__(self, *, fails: bool) -> None:
        self.fails = fails
        self.handled: list[int] = []
        self.stopped = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        return None

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        if self.fails:
            raise ConnectionError("the transaction coordinator is gone")
        self.handled += [r.offset for batch in records.values() for r in batch]


async def run_until(
    builds: list[tuple[FakeConsumer, Handler]], health: WorkerHealth, done: asyncio.Event
) -> None:
    stop = asyncio.Event()
    made = iter(builds)

    def build() -> tuple[AIOKafkaConsumer, BatchHandler]:
        consumer, handler = next(made)
        return cast(AIOKafkaConsumer, consumer), handler

    task = asyncio.create_task(
        run_worker(build, stop, poll_ms=10, name="deliver", health=health, stall_seconds=0.3)
    )
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_batches_that_keep_failing_make_the_worker_rebuild_itself_and_move_again() -> None:
    health = WorkerHealth()
    stuck_consumer = FakeConsumer([[1, 2]] * 1000)
    stuck_handler = Handler(fails=True)
    fresh_consumer, fresh_handler = FakeConsumer([[1, 2], [3]]), Handler(fails=False)
    done = asyncio.Event()
    states: list[dict[str, object]] = []

    async def watch() -> None:
        while fresh_handler.handled != [1, 2, 3]:
            states.append(health.report().get("deliver", {}))
            await asyncio.sleep(0.01)
        done.set()

    watcher = asyncio.create_task(watch())
    await run_until(
        [(stuck_consumer, stuck_handler), (fresh_consumer, fresh_handler)], health, done
    )
    await watcher
    assert stuck_consumer.stopped and stuck_handler.stopped  # the stuck ones were closed
    assert stuck_consumer.seeks and set(stuck_consumer.seeks) == {1}  # each failure rewound
    assert any(s.get("ok") is False for s in states)  # said stuck while it was
    assert health.ok and health.report()["deliver"]["rebuilt"] == 1


async def test_records_that_wait_and_never_arrive_make_the_worker_rebuild_itself() -> None:
    health = WorkerHealth()
    deaf = FakeConsumer([], waiting=5)  # the broker says 5 wait; the consumer gets none
    fresh_consumer, fresh_handler = FakeConsumer([[100, 101, 102, 103, 104]]), Handler(fails=False)
    done = asyncio.Event()

    async def watch() -> None:
        while len(fresh_handler.handled) < 5:  # noqa: ASYNC110 - polls a fake's list
            await asyncio.sleep(0.01)
        done.set()

    watcher = asyncio.create_task(watch())
    await run_until([(deaf, Handler(fails=False)), (fresh_consumer, fresh_handler)], health, done)
    await watcher
    assert deaf.stopped
    assert health.ok and health.report()["deliver"]["rebuilt"] == 1


async def test_an_idle_worker_with_nothing_waiting_is_healthy_and_keeps_its_consumer() -> None:
    health = WorkerHealth()
    idle = FakeConsumer([[7]], waiting=0)
    handler = Handler(fails=False)
    done = asyncio.Event()

    async def watch() -> None:
        await asyncio.sleep(1.0)  # three stall periods
        done.set()

    watcher = asyncio.create_task(watch())
    await run_until([(idle, handler)], health, done)
    await watcher
    assert handler.handled == [7]
    assert health.ok and health.report()["deliver"]["rebuilt"] == 0
