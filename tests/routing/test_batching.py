"""The batch queue: concurrent callers share batches, each gets its own answer, a full queue
refuses at once, and a caller that goes away does not take its item with it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from routing.batching import BatchQueue, QueueFull


class Recorder:
    def __init__(self, *, gate: asyncio.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.gate = gate

    async def handle(self, items: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]


async def test_concurrent_callers_share_a_batch_and_each_gets_its_answer() -> None:
    recorder = Recorder()
    queue: BatchQueue[int, int] = BatchQueue(recorder.handle, max_batch=100, max_waiting=100)
    results = await asyncio.gather(*(queue.submit(i) for i in range(6)), return_exceptions=True)
    assert [r if isinstance(r, int) else str(r) for r in results] == [
        0, "odd 1", 20, "odd 3", 40, "odd 5",
    ]  # fmt: skip
    assert recorder.batches == [[0, 1, 2, 3, 4, 5]]


async def test_batches_hold_at_most_max_batch_and_run_one_after_the_other() -> None:
    gate = asyncio.Event()
    recorder = Recorder(gate=gate)
    queue: BatchQueue[int, int] = BatchQueue(recorder.handle, max_batch=2, max_waiting=100)
    waiting = [asyncio.ensure_future(queue.submit(i * 2)) for i in range(5)]
    await asyncio.sleep(0.01)
    assert recorder.batches == [[0, 2]]  # the next batch waits for the first to finish
    gate.set()
    assert await asyncio.gather(*waiting) == [0, 20, 40, 60, 80]
    assert recorder.batches == [[0, 2], [4, 6], [8]]


async def test_a_full_queue_refuses_at_once() -> None:
    gate = asyncio.Event()
    queue: BatchQueue[int, int] = BatchQueue(Recorder(gate=gate).handle, max_batch=1, max_waiting=2)
    first = asyncio.ensure_future(queue.submit(0))  # taken into the batch in hand
    await asyncio.sleep(0.01)
    held = [asyncio.ensure_future(queue.submit(i)) for i in (2, 4)]
    await asyncio.sleep(0.01)
    with pytest.raises(QueueFull):
        queue.submit(6)
    gate.set()
    assert await first == 0
    assert await asyncio.gather(*held) == [20, 40]


async def test_a_handler_that_fails_fails_every_caller_of_its_batch_only() -> None:
    calls = 0

    async def handle(items: Sequence[int]) -> list[int | BaseException]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database is away")
        return list(items)

    queue: BatchQueue[int, int] = BatchQueue(handle, max_batch=10, max_waiting=10)
    failed = await asyncio.gather(queue.submit(1), queue.submit(2), return_exceptions=True)
    assert all(isinstance(f, ConnectionError) for f in failed)
    assert await queue.submit(3) == 3


async def test_a_caller_that_goes_away_leaves_its_item_to_be_handled() -> None:
    gate = asyncio.Event()
    recorder = Recorder(gate=gate)
    queue: BatchQueue[int, int] = BatchQueue(recorder.handle, max_batch=10, max_waiting=10)
    caller = asyncio.ensure_future(queue.submit(4))
    await asyncio.sleep(0.01)
    caller.cancel()
    gate.set()
    assert await queue.submit(6) == 60
    assert recorder.batches == [[4], [6]]


async def test_up_to_max_running_batches_are_handled_at_once() -> None:
    gate = asyncio.Event()
    recorder = Recorder(gate=gate)
    queue: BatchQueue[int, int] = BatchQueue(
        recorder.handle, max_batch=2, max_waiting=100, max_running=2
    )
    waiting = [asyncio.ensure_future(queue.submit(i * 2)) for i in range(5)]
    await asyncio.sleep(0.01)
    assert recorder.batches == [[0, 2], [4, 6]]  # two at once; the rest waits for one to end
    assert queue.waiting == 1
    gate.set()
    assert await asyncio.gather(*waiting) == [0, 20, 40, 60, 80]
    assert sorted(x for batch in recorder.batches for x in batch) == [0, 2, 4, 6, 8]
