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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from routing.backlog import DeliveryBacklog
from routing.worker_health import WorkerHealth

log = structlog.get_logger(__name__)

Records = Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]]

STALL_SECONDS = 15.0
"""No progress for this long while work waits: the worker is stuck and rebuilds itself."""
RETRY_PAUSE = 1.0
"""Between a failed batch and its retry, so that a broken dependency does not spin the CPU."""
CLOSE_SECONDS = 10.0
START_SECONDS = 30.0


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
    backlog: DeliveryBacklog | None = None,
) -> None:
    """Consume until `stop` is set; a failed batch is retried; a stuck worker is rebuilt.
    With `backlog`, each batch handled says how far behind the worker is (`routing.backlog`)."""
    health = health if health is not None else WorkerHealth()
    backlog = backlog if backlog is not None else DeliveryBacklog()
    while not stop.is_set():
        consumer, handler = build()
        backlog.caught_up()
        try:
            stuck = await _consume(
                consumer, handler, stop, poll_ms, name, health, stall_seconds, backlog
            )
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
    backlog: DeliveryBacklog,
) -> str | None:
    """Consume until `stop` is set (None) or until the worker is stuck (why)."""
    failing_since: float | None = None
    try:  # a client that cannot reach its coordinator may wait for ever: bounded
        await asyncio.wait_for(consumer.start(), timeout=START_SECONDS)
        await asyncio.wait_for(handler.start(), timeout=START_SECONDS)
    except Exception as error:
        return f"could not start: {type(error).__name__}: {error}"
    last_progress = time.monotonic()
    failures = 0
    marks: dict[str, int] = {}
    while not stop.is_set():
        try:  # a consumer that lost its coordinator may never return: bounded
            records = await asyncio.wait_for(
                consumer.getmany(timeout_ms=poll_ms), timeout=poll_ms / 1000 + stall_seconds
            )
            if not records:
                backlog.caught_up()
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
                problem = await _idle_problem(consumer, marks, stall_seconds)
                if problem is not None:
                    return problem
                last_progress = time.monotonic()  # nothing waits for this member: healthy
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
            _report(consumer, records, backlog)
    return None


def _report(consumer: AIOKafkaConsumer, records: Records, backlog: DeliveryBacklog) -> None:
    """Tell `backlog` how far each partition of a handled batch still has to go."""
    for tp, batch in records.items():
        if batch:
            last = batch[-1]
            highwater = consumer.highwater(tp)
            remaining = None if highwater is None else highwater - last.offset - 1
            backlog.handled(tp, last.timestamp, remaining)


async def _idle_problem(
    consumer: AIOKafkaConsumer, marks: dict[str, int], stall_seconds: float
) -> str | None:
    """Why a member that received nothing for the stall time is stuck, or None when it is
    only idle. With partitions: records wait past its position. With none (a member that lost
    its group, as after a broker restart): records wait in the group and nobody committed
    anything since the last look (a member without partitions beside busy ones is fine)."""
    assignment = list(consumer.assignment())
    if assignment:
        waiting = await _waiting(consumer, assignment)
        if waiting is None or waiting > 0:
            said = "unknown" if waiting is None else str(waiting)
            return f"{said} records wait on its partitions and none arrived for {stall_seconds:g} s"
        return None
    state = await _group_state(consumer)
    if state is None:
        return "it holds no partition and the broker cannot say what waits"
    waiting, committed = state
    before = marks.get("committed")
    marks["committed"] = committed
    if waiting > 0 and before == committed:
        return f"it holds no partition while {waiting} records wait in its group and none moves"
    return None


async def _waiting(consumer: AIOKafkaConsumer, assignment: list[TopicPartition]) -> int | None:
    """Records on `assignment` past this member's position (None: the broker cannot say)."""
    try:
        ends = await asyncio.wait_for(consumer.end_offsets(assignment), timeout=5)
        waiting = 0
        for tp in assignment:
            position = await asyncio.wait_for(consumer.position(tp), timeout=5)
            waiting += max(ends[tp] - position, 0)
    except Exception:
        return None
    return waiting


async def _group_state(consumer: AIOKafkaConsumer) -> tuple[int, int] | None:
    """(records past the group's committed offsets, the sum of those offsets) over every
    partition of the member's topics; None when the broker cannot say."""
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in sorted(consumer.subscription())
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return None
        ends = await asyncio.wait_for(consumer.end_offsets(partitions), timeout=5)
        waiting = committed_sum = 0
        for tp in partitions:
            committed = await asyncio.wait_for(consumer.committed(tp), timeout=5) or 0
            committed_sum += committed
            waiting += max(ends[tp] - committed, 0)
    except Exception:
        return None
    return waiting, committed_sum


_closing: set[asyncio.Task[None]] = set()
"""Closes that outlived CLOSE_SECONDS, left to finish in the background (referenced here)."""


async def _close(consumer: AIOKafkaConsumer, handler: BatchHandler, name: str) -> None:
    """Stop both, whatever state they are in. A client that lost its broker may take long to
    stop (aiokafka leaves its group and shields that from cancellation), and must not keep the
    next one waiting: after CLOSE_SECONDS its close goes on in the background."""
    for part, stopping in (("handler", handler.stop), ("consumer", consumer.stop)):
        task = asyncio.create_task(_stopped(stopping, name, part))
        done, _ = await asyncio.wait({task}, timeout=CLOSE_SECONDS)
        if not done:
            _closing.add(task)
            task.add_done_callback(_closing.discard)
            log.warning("closing takes long; it goes on in the background", worker=name,
                        part=part)  # fmt: skip


async def _stopped(stopping: Callable[[], Awaitable[None]], name: str, part: str) -> None:
    try:
        await stopping()
    except Exception as error:
        log.warning("closing failed", worker=name, part=part, error=type(error).__name__)
