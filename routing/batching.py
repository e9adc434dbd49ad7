"""Concurrent callers served in batches: each caller hands one item and awaits its own answer;
one task takes whatever is waiting (up to `max_batch`), hands the batch to the handler, and
answers every caller of it. Under load many callers share one database transaction and one
Kafka commit; alone, a caller waits for a batch of one, no more.

The queue is bounded: past `max_waiting` items a caller is refused at once (`QueueFull`), so a
saturated node answers "busy, try again" quickly instead of letting requests wait until the
client gives up and resends. Batches run one after the other (the handler never sees two at
once), which keeps what one batch writes visible to the next.
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
    def __init__(self, handler: Handler[T, R], *, max_batch: int, max_waiting: int) -> None:
        self._handler = handler
        self._max_batch = max_batch
        self._max_waiting = max_waiting
        self._waiting: deque[_Waiting[T, R]] = deque()
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def submit(self, item: T) -> R:
        """`item`'s answer (or its exception), once its batch is handled."""
        if len(self._waiting) >= self._max_waiting:
            raise QueueFull(f"{len(self._waiting)} requests are waiting")
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        answer.add_done_callback(_retrieved)
        self._waiting.append(_Waiting(item, answer))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="batch-queue")
        # A caller that gives up (its client went away) leaves its item to be handled: what
        # the batch writes must not depend on who is still listening.
        return await asyncio.shield(answer)

    async def _drain(self) -> None:
        while self._waiting:
            batch = [
                self._waiting.popleft() for _ in range(min(self._max_batch, len(self._waiting)))
            ]
            try:
                results = await self._handler([w.item for w in batch])
            except BaseException as error:  # every caller of the batch learns it failed
                for waiting in batch:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
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
