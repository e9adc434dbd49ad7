"""The Kafka edge: producers and consumers set up the one way the axis needs them, and the
transaction that makes "consume, act, produce" happen once.

Every producer is idempotent with acks=all, so a record Kafka acknowledged is on every in-sync
replica and a network retry never writes it twice. Workers produce what a batch led to (retry,
dead letter, tracking events) and commit the batch's consumer offsets in one Kafka transaction:
either all of it happens or none, and a crashed worker's successor starts where the last
committed batch ended. Consumers read committed records only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from routing.headers import Headers

MAX_REQUEST_BYTES = 4 * 1024 * 1024
"""Largest record a node produces; bigger packets travel by reference (routing.payloads)."""


def make_producer(
    bootstrap: str, *, client_id: str, transactional_id: str | None = None
) -> AIOKafkaProducer:
    """An idempotent producer with acks=all; transactional when `transactional_id` is given."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        transactional_id=transactional_id,
        linger_ms=5,
        max_request_size=MAX_REQUEST_BYTES,
        request_timeout_ms=30_000,
    )


def transactional_id(prefix: str, role: str, node_id: str) -> str:
    """A transactional id unique to one worker instance (several may run per node)."""
    return f"{prefix}{role}-{node_id}-{uuid.uuid4().hex[:8]}"


def make_consumer(
    bootstrap: str, *topics: str, group_id: str, client_id: str, max_poll_records: int = 200
) -> AIOKafkaConsumer:
    """A consumer-group member that reads committed records and commits offsets explicitly."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=max_poll_records,
        fetch_max_bytes=MAX_REQUEST_BYTES * 4,
        max_partition_fetch_bytes=MAX_REQUEST_BYTES * 4,
    )


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A record a batch produces."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers = ()


@dataclass(slots=True)
class Batch:
    """What one batch of consumed records leads to: records to produce, offsets to commit."""

    outgoing: list[Outgoing] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)

    def send(self, topic: str, key: str, value: bytes, headers: Headers = ()) -> None:
        self.outgoing.append(Outgoing(topic, key.encode(), value, tuple(headers)))

    def consumed(self, topic: str, partition: int, offset: int) -> None:
        """Mark a record done: the committed position is the offset after it."""
        self.offsets[TopicPartition(topic, partition)] = offset + 1


async def commit(producer: AIOKafkaProducer, batch: Batch, group_id: str) -> None:
    """Produce the batch's records and commit its offsets, all or nothing."""
    async with producer.transaction():
        await _send_all(producer, batch.outgoing)
        if batch.offsets:
            await producer.send_offsets_to_transaction(dict(batch.offsets), group_id)


async def produce(producer: AIOKafkaProducer, records: Sequence[Outgoing]) -> None:
    """Produce `records` in one transaction (no offsets: e.g. a submission or a replay)."""
    async with producer.transaction():
        await _send_all(producer, records)


async def _send_all(producer: AIOKafkaProducer, records: Sequence[Outgoing]) -> None:
    for record in records:
        await producer.send(
            record.topic, record.value, key=record.key, headers=list(record.headers)
        )
