"""Producing records for many concurrent callers, in Kafka transactions, with group commit.

A Kafka producer runs one transaction at a time, and a commit costs a round trip to the
transaction coordinator and the replicas. Callers (concurrent submissions) hand their records to
`send`; one task takes whatever is waiting, puts it all in one transaction, commits, and answers
every caller of that transaction. Under load many submissions share a commit; alone, a
submission waits for one commit, no more. Each caller's records are all in one transaction:
a submission's deliveries to its recipients are produced together or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from routing.bus import Outgoing, produce

MAX_RECORDS_PER_TRANSACTION = 2000


@dataclass(slots=True)
class _Pending:
    records: Sequence[Outgoing]
    done: asyncio.Future[None]


class TransactionalSender:
    """Group-commits the records of concurrent callers through one transactional producer."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._producer.start()
        self._task = asyncio.create_task(self._run(), name="transactional-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.done.done():
                pending.done.set_exception(RuntimeError("the node is stopping; nothing was sent"))
        await self._producer.stop()

    async def send(self, records: Sequence[Outgoing]) -> None:
        """Return once Kafka committed `records` (all of them); raise if it did not."""
        if self._task is None or self._task.done():
            raise RuntimeError("the transactional sender is not running")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(records, done))
        await done

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            count = len(group[0].records)
            while not self._queue.empty() and count < MAX_RECORDS_PER_TRANSACTION:
                pending = self._queue.get_nowait()
                group.append(pending)
                count += len(pending.records)
            try:
                await produce(self._producer, [r for p in group for r in p.records])
            except Exception as error:  # every caller of this transaction learns it failed
                for pending in group:
                    if not pending.done.done():
                        pending.done.set_exception(error)
                continue
            for pending in group:
                if not pending.done.done():
                    pending.done.set_result(None)
