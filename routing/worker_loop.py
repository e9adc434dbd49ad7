"""The loop every worker runs: a consumer-group member handing batches to a handler.

More processes running the same worker share the partitions between them (the consumer group),
so adding processes adds throughput. A worker stops when its stop event is set, finishing the
batch in hand; if it is killed instead, the next member of the group starts again from the
last committed offsets, which is why every handler is safe to repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

log = structlog.get_logger(__name__)

Records = Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]]


class BatchHandler(Protocol):
    async def start(self) -> None: ...

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        """Act on one batch and commit its offsets (in whichever way fits the worker)."""

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        """Called when a poll returned nothing (time-based work: resuming paused partitions)."""

    async def stop(self) -> None: ...


async def run_worker(
    consumer: AIOKafkaConsumer,
    handler: BatchHandler,
    stop: asyncio.Event,
    *,
    poll_ms: int = 500,
    name: str = "worker",
) -> None:
    """Consume until `stop` is set; errors in a batch are logged and the batch is retried."""
    await consumer.start()
    failures = 0
    try:
        await handler.start()
        while not stop.is_set():
            records = await consumer.getmany(timeout_ms=poll_ms)
            if not records:
                await handler.idle(consumer)
                continue
            try:
                await handler.handle(consumer, records)
            except Exception as error:
                # The batch was not committed: rewind so that it is handled again, after a pause
                # that keeps a broken dependency (database down) from spinning the CPU. The
                # first failure is logged whole; while it goes on (an outage), one line each.
                failures += 1
                if failures == 1:
                    log.exception("batch failed; it will be retried", worker=name)
                else:
                    log.warning("batch failed again; it will be retried", worker=name,
                                failures=failures, error=type(error).__name__)  # fmt: skip
                for tp, batch in records.items():
                    if batch:
                        consumer.seek(tp, batch[0].offset)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
            else:
                if failures:
                    log.info("batch handled after failing", worker=name, failures=failures)
                failures = 0
    finally:
        await handler.stop()
        await consumer.stop()
