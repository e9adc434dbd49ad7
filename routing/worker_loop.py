"""The loop every worker runs: a consumer-group member handing batches to a handler, which
notices when it is stuck and rebuilds itself.

More processes running the same worker share the partitions between them (the consumer group),
so adding processes adds throughput. A worker stops when its stop event is set, finishing the
batch in hand; if it is killed instead, the next member of the group starts again from the
last committed offsets, which is why every handler is safe to repeat.

A worker is stuck when it makes no progress while work waits, for longer than the stall time:
its batches keep failing, polling keeps failing, or records wait on its partitions and none
arrives. Kafka clients do not always recover from a broker that went away and came back (a
consumer that lost its group coordinator, a transactional producer left in a failed state), so
the loop then closes its consumer and its handler (with the handler's producer) and builds new
ones from scratch; meanwhile `WorkerHealth` says it is stuck, and `/readyz` says not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from routing.worker_health import WorkerHealth

log = structlog.get_logger(__name__)

Records = Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]]

STALL_SECONDS = 15.0
"""No progress for this long while work waits: the worker is stuck and rebuilds itself."""
RETRY_PAUSE = 1.0
"""Between a failed batch and its retry, so that a broken dependency does not spin the CPU."""
CLOSE_SECONDS = 10.0


class BatchHandler(Protocol):
    async def start(self) -> None: ...

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        """Act on one batch and commit its offsets (in whichever way fits the worker)."""

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        """Called when a poll returned nothing (time-based work: resuming paused partitions)."""

    async def stop(self) -> None: ...


Build = Callable[[], tuple[AIOKafkaConsumer, BatchHandler]]
"""A new consumer and a new handler (with its own producer), not started."""


async def run_worker(
    build: Build,
    stop: asyncio.Event,
    *,
    poll_ms: int = 500,
    name: str = "worker",
    health: WorkerHealth | None = None,
    stall_seconds: float = STALL_SECONDS,
) -> None:
    """Consume until `stop` is set; a failed batch is retried; a stuck worker is rebuilt."""
    health = health if health is not None else WorkerHealth()
    while not stop.is_set():
        consumer, handler = build()
        try:
            stuck = await _consume(consumer, handler, stop, poll_ms, name, health, stall_seconds)
        finally:
            await _close(consumer, handler, name)
        if stuck is None:
            return
        health.stuck(name, stuck)
        health.rebuilt(name)
        log.warning("worker stuck; rebuilding its consumer and producer", worker=name,
                    problem=stuck)  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RETRY_PAUSE)


async def _consume(
    consumer: AIOKafkaConsumer,
    handler: BatchHandler,
    stop: asyncio.Event,
    poll_ms: int,
    name: str,
    health: WorkerHealth,
    stall_seconds: float,
) -> str | None:
    """Consume until `stop` is set (None) or until the worker is stuck (why)."""
    failing_since: float | None = None
    try:
        await consumer.start()
        await handler.start()
    except Exception as error:
        return f"could not start: {type(error).__name__}: {error}"
    last_progress = time.monotonic()
    failures = 0
    while not stop.is_set():
        try:
            records = await consumer.getmany(timeout_ms=poll_ms)
            if not records:
                await handler.idle(consumer)
        except Exception as error:
            failing_since = failing_since or time.monotonic()
            if time.monotonic() - failing_since > stall_seconds:
                return f"polling fails: {type(error).__name__}: {error}"
            log.warning("polling failed; trying again", worker=name, error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=RETRY_PAUSE)
            continue
        if not records:
            if failing_since is None and time.monotonic() - last_progress > stall_seconds:
                waiting = await _waiting(consumer)
                if waiting is None or waiting > 0:
                    said = "unknown" if waiting is None else str(waiting)
                    return f"{said} records wait and none arrived for {stall_seconds:g} s"
                last_progress = time.monotonic()  # nothing waits: idle is healthy
                health.moving(name)
            continue
        try:
            await handler.handle(consumer, records)
        except Exception as error:
            # The batch was not committed: rewind so that it is handled again, after a pause.
            # The first failure is logged whole; while it goes on (an outage), one line each.
            failures += 1
            failing_since = failing_since or time.monotonic()
            if failures == 1:
                log.exception("batch failed; it will be retried", worker=name)
            else:
                log.warning("batch failed again; it will be retried", worker=name,
                            failures=failures, error=type(error).__name__)  # fmt: skip
            if time.monotonic() - failing_since > stall_seconds:
                return f"batches fail: {type(error).__name__}"
            for tp, batch in records.items():
                if batch:
                    consumer.seek(tp, batch[0].offset)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=RETRY_PAUSE)
        else:
            if failures:
                log.info("batch handled after failing", worker=name, failures=failures)
            failures, failing_since = 0, None
            last_progress = time.monotonic()
            health.moving(name)
    return None


async def _waiting(consumer: AIOKafkaConsumer) -> int | None:
    """Records on this member's partitions past its position (None: the broker cannot say)."""
    assignment = list(consumer.assignment())
    if not assignment:
        return 0
    try:
        ends = await asyncio.wait_for(consumer.end_offsets(assignment), timeout=5)
        waiting = 0
        for tp in assignment:
            position = await asyncio.wait_for(consumer.position(tp), timeout=5)
            waiting += max(ends[tp] - position, 0)
    except Exception:
        return None
    return waiting


async def _close(consumer: AIOKafkaConsumer, handler: BatchHandler, name: str) -> None:
    """Stop both, whatever state they are in; a stuck client must not keep the next one waiting."""
    for part, stopping in (("handler", handler.stop), ("consumer", consumer.stop)):
        try:
            await asyncio.wait_for(stopping(), timeout=CLOSE_SECONDS)
        except Exception as error:
            log.warning("closing failed", worker=name, part=part, error=type(error).__name__)
