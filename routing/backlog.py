"""How far behind this process's delivery worker is: how long the oldest delivery record still
waiting on its partitions has waited.

A node that accepts packets faster than it delivers them only builds a queue: every packet then
reaches its inbox later, and the answer "accepted" no longer means "delivered in a moment". The
submission service refuses new packets with `NODE_BUSY` (and `Retry-After`) while this delay is
over a limit (`AXIS_MAX_DELIVERY_DELAY_SECONDS`), so a surge meets quick refusals that clients
retry instead of a backlog that grows for minutes.

The worker reports each batch it handled: per partition, the timestamp of the last record and
how many records remain after it (Kafka's high-water mark, known from the fetch). The next
record waiting is no older than that last one, so `delay` (now minus that timestamp, over the
partitions where records remain) is an upper bound, tight while records keep coming. A poll
that returns nothing means nothing waits. While the worker does not report (stuck, or
rebuilding) the delay keeps growing from what it last saw, which is what it is: nothing moves.

Per process: each process's worker holds its share of the partitions, and submissions spread
over all of them, so one process's delay stands for the node's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable


class DeliveryBacklog:
    """What the delivery worker of this process last saw of its partitions."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._waiting_since: dict[Hashable, float] = {}
        """Per partition with records left: the timestamp (seconds) of the last one handled."""

    def handled(self, partition: Hashable, last_timestamp_ms: int, remaining: int | None) -> None:
        """A batch handled up to a record stamped `last_timestamp_ms`; `remaining` records wait
        after it on `partition` (None: unknown, counted as none)."""
        if remaining:
            self._waiting_since[partition] = last_timestamp_ms / 1000
        else:
            self._waiting_since.pop(partition, None)

    def caught_up(self) -> None:
        """Nothing waits: a poll returned nothing, or the worker starts afresh."""
        self._waiting_since.clear()

    def delay(self) -> float:
        """Seconds the oldest waiting record has waited (0 when none waits)."""
        if not self._waiting_since:
            return 0.0
        return max(0.0, self._clock() - min(self._waiting_since.values()))
