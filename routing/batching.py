"""Concurrent callers served in batches: each caller hands one item and awaits its own answer;
one task takes whatever is waiting (up to `max_batch`), hands the batch to the handler, and
answers every caller of it. Under load many callers share one database transaction and one
Kafka commit; alone, a caller waits for a batch of one, no more.

The queue is bounded: past `max_waiting` items a caller is refused at once (`QueueFull`), so a
saturated node answers "busy, try again" quickly instead of letting requests wait until the
client gives up and resends. Up to `max_running` batches are handled at once (a pipeline:
while one waits for Kafka's commit, the next is written to the database); the handler must
keep concurrent batches apart (`routing.submission` never puts one packet in two).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")

Handler = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]
"""Answers a batch: one result or exception per item, in order."""


class QueueFull(Exception):
    """More callers wait than the queue holds: try again shortly."""


@dataclass(slots=True)
class _Waiting(Generic[T, R]):
    item: T
    answer: asyncio.Future[R]


class BatchQueue(Generic[T, R]):
    def __init__(
        self,
        handler: Handler[T, R],
        *,
        max_batch: int,
        max_waiting: int,
        max_running: int = 1,
    ) -> None:
        self._handler = handler
        self._max_batch = max_batch
        self._max_waiting = max_waiting
        self._max_running = max_running
        self._waiting: deque[_Waiting[T, R]] = deque()
        self._running: set[asyncio.Task[None]] = set()
        self._starting = False
        """A batch task is created and has not taken its items yet: they gather meanwhile."""

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def submit(self, item: T) -> asyncio.Future[R]:
        """Queue `item`; the future of its answer (or its exception), set once its batch is
        handled. `QueueFull` at once when the queue is full. An item is handled even if its
        future is cancelled (its caller went away): what a batch writes must not depend on who
        is still listening."""
        if len(self._waiting) >= self._max_waiting:
            raise QueueFull(f"{len(self._waiting)} requests are waiting")
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        answer.add_done_callback(_retrieved)
        self._waiting.append(_Waiting(item, answer))
        self._start()
        return answer

    def _start(self) -> None:
        if self._waiting and not self._starting and len(self._running) < self._max_running:
            self._starting = True
            task = asyncio.create_task(self._handle(), name="batch")
            self._running.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._start()

    async def _handle(self) -> None:
        self._starting = False
        count = min(self._max_batch, len(self._waiting))
        batch = [self._waiting.popleft() for _ in range(count)]
        self._start()  # what is left waits for the next batch, which may start now
        if not batch:
            return
        try:
            results = await self._handler([w.item for w in batch])
        except BaseException as error:  # every caller of the batch learns it failed
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
            if isinstance(error, asyncio.CancelledError):
                raise
            return
        for waiting, result in zip(batch, results, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(result, BaseException):
                waiting.answer.set_exception(result)
            else:
                waiting.answer.set_result(result)


def _retrieved(answer: asyncio.Future[Any]) -> None:
    """Mark an answer's exception as seen: its caller may have gone away (see `submit`)."""
    if not answer.cancelled():
        answer.exception()
