"""Records waiting on the retry tiers for a code the registry has closed since go on at once.

A delivery to a code that closes while it waits on a retry tier (an endpoint down for hours,
then its unit merged) would wait until its due time, up to the longest tier's delay, before the
delivery worker re-routes it to the successor (`routing.delivery_worker`). So the retry worker
looks ahead when the registry's answers change (a new version applied, or a future-dated
change set taking effect: `Directory.epoch`) and when it is assigned tier partitions (what
waits there may have been scheduled before a change). It reads each of its tier partitions
from its position to the end with a consumer of its own, and when a partition holds records for
a code the registry now says closed (`Route.closed`), it rewrites that partition's waiting part
in one Kafka transaction: those records go to the deliveries topic now (re-routed, or ended
with a 02 for a split, by the delivery worker), the others are appended to the same partition
again with their due times unchanged, and the group's offset moves past all of them. All or
nothing: a crash before the commit leaves the tier as it was, after it nothing is read twice.
Records appended again may land behind a few new ones due later; they wait that much longer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from routing.bus import MAX_REQUEST_BYTES
from routing.clock import Clock, utc_now
from routing.destinations import Directory

log = structlog.get_logger(__name__)

READ_SECONDS = 30.0
"""How long one look-ahead may take to read the tiers to their end before it gives up (and
tries again at the next chance)."""


@dataclass(frozen=True, slots=True)
class Epoch:
    """What the registry's answers depended on when a look-ahead began (`Directory.epoch`)."""

    value: Hashable
    partitions: frozenset[TopicPartition]
    """The tier partitions the worker held."""


RETRY_SECONDS = 10.0
"""How long after a failed look-ahead the next one is tried."""


class Lookahead:
    """When the registry's answers changed, what waits on the tiers for a code now closed."""

    def __init__(
        self,
        bootstrap: str,
        directory: Directory,
        *,
        client_id: str,
        clock: Clock = utc_now,
        read_seconds: float = READ_SECONDS,
    ) -> None:
        self._bootstrap = bootstrap
        self._directory = directory
        self._client_id = client_id
        self._clock = clock
        self._read_seconds = read_seconds
        self._swept: Hashable = _NEVER
        self._covered: frozenset[TopicPartition] = frozenset()
        self._not_before = 0.0

    def changed(self, assigned: Collection[TopicPartition]) -> Epoch | None:
        """What to look ahead for, when the registry's epoch changed since the last look-ahead
        or partitions were assigned since (at the start, or in a rebalance: what waits there
        may have been scheduled before a change); else None, and None as well for a while
        after a look-ahead failed, or while the worker has no partition."""
        if not assigned or time.monotonic() < self._not_before:
            return None
        epoch = self._directory.epoch()
        partitions = frozenset(assigned)
        if epoch == self._swept and partitions <= self._covered:
            return None
        return Epoch(epoch, partitions)

    def swept(self, epoch: Epoch) -> None:
        """The look-ahead for `epoch` is done."""
        self._swept = epoch.value
        self._covered = epoch.partitions

    def failed(self) -> None:
        """The look-ahead could not be made: try again in a while."""
        self._not_before = time.monotonic() + RETRY_SECONDS

    def closed(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Whether the registry now says the record's recipient (its key) closed."""
        code = (record.key or b"").decode()
        if not code or self._directory.destination(code) is not None:
            return False
        return self._directory.route(code, at=self._clock()).closed

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Reader]:
        """A consumer of its own (no group) to read the tiers ahead of the worker's position."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, client_id=self._client_id,
            enable_auto_commit=False, isolation_level="read_committed",
            auto_offset_reset="earliest", max_partition_fetch_bytes=MAX_REQUEST_BYTES * 4,
            fetch_max_bytes=MAX_REQUEST_BYTES * 4,
        )  # fmt: skip
        await asyncio.wait_for(consumer.start(), self._read_seconds)
        try:
            yield Reader(consumer, self._read_seconds)
        finally:
            await consumer.stop()


class Reader:
    """Reads one tier partition at a time (so that only one is held in memory)."""

    def __init__(self, consumer: AIOKafkaConsumer, read_seconds: float) -> None:
        self._consumer = consumer
        self._read_seconds = read_seconds

    async def waiting(
        self, tp: TopicPartition, position: int, end: int
    ) -> list[ConsumerRecord[bytes, bytes]] | None:
        """The records of `tp` from `position` up to `end` (excluded); None when they cannot be
        read in time (the broker away)."""
        consumer = self._consumer
        consumer.assign([tp])
        consumer.seek(tp, position)
        found: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + self._read_seconds
        while await consumer.position(tp) < end:
            if time.monotonic() > deadline:
                log.warning("retry look-ahead gave up: a tier could not be read in time",
                            topic=tp.topic, partition=tp.partition)  # fmt: skip
                return None
            for items in (await consumer.getmany(tp, timeout_ms=500)).values():
                found.extend(i for i in items if i.offset < end)
        return found


_NEVER = object()
