"""Smoke test of the real broker: Avro records, an idempotent transactional producer, and a
consumer group with manual commits."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from fastavro import parse_schema, schemaless_reader, schemaless_writer

pytestmark = pytest.mark.integration

SCHEMA = parse_schema(
    {
        "type": "record",
        "name": "SmokeDelivery",
        "namespace": "vn.axis.test",
        "fields": [
            {"name": "message_id", "type": "string"},
            {"name": "recipient", "type": "string"},
            {"name": "seq", "type": "int"},
            {"name": "packet", "type": "bytes"},
        ],
    }
)


def encode(record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    schemaless_writer(buffer, SCHEMA, record)
    return buffer.getvalue()


def decode(data: bytes) -> dict[str, Any]:
    record: dict[str, Any] = schemaless_reader(io.BytesIO(data), SCHEMA)  # type: ignore[call-arg]
    return record


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def consume(consumer: AIOKafkaConsumer, count: int, timeout: float = 30) -> list[Any]:
    received: list[Any] = []

    async def _loop() -> None:
        while len(received) < count:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                received.extend(messages)

    await asyncio.wait_for(_loop(), timeout)
    return received


async def test_a_read_committed_group_gets_the_committed_avro_records_and_not_the_aborted_ones(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = topic_prefix + "deliveries"
    await create_topic(kafka_bootstrap, topic, partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        transactional_id=topic_prefix + "submitter",
        enable_idempotence=True,
        acks="all",
    )
    await producer.start()
    try:
        async with producer.transaction():
            for seq in range(6):
                recipient = f"000.00.0{seq % 2}.G01"
                record = {"message_id": "m1", "recipient": recipient, "seq": seq,
                          "packet": f"<edXML>{seq}</edXML>".encode()}  # fmt: skip
                await producer.send(topic, encode(record), key=recipient.encode())
        await producer.begin_transaction()
        await producer.send(topic, encode({"message_id": "aborted", "recipient": "x", "seq": 99,
                                           "packet": b""}), key=b"x")  # fmt: skip
        await producer.abort_transaction()
        # A marker after the aborted batch, so the consumer provably read past it.
        async with producer.transaction():
            await producer.send(topic, encode({"message_id": "last", "recipient": "x", "seq": 100,
                                               "packet": b""}), key=b"x")  # fmt: skip
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=topic_prefix + "workers",
        enable_auto_commit=False, isolation_level="read_committed", auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    try:
        messages = await consume(consumer, 7)
        await consumer.commit()
        await asyncio.sleep(0.5)
        assert await consumer.getmany(timeout_ms=500) == {}
    finally:
        await consumer.stop()
    records = [decode(m.value) for m in messages]
    assert sorted(r["seq"] for r in records) == [0, 1, 2, 3, 4, 5, 100]
    assert all(r["message_id"] != "aborted" for r in records)
    # Keyed by recipient: each recipient's records share a partition and keep their order.
    by_recipient: dict[str, list[tuple[int, int]]] = {}
    for message, record in zip(messages, records, strict=True):
        by_recipient.setdefault(record["recipient"], []).append((message.partition, record["seq"]))
    for placed in by_recipient.values():
        assert len({partition for partition, _ in placed}) == 1
        seqs = [seq for _, seq in placed]
        assert seqs == sorted(seqs)
    assert next(r for r in records if r["seq"] == 3)["packet"] == b"<edXML>3</edXML>"


async def test_a_member_that_restarts_resumes_after_its_last_manual_commit(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = topic_prefix + "inbox"
    await create_topic(kafka_bootstrap, topic, partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True,
                                acks="all")  # fmt: skip
    await producer.start()
    try:
        for seq in range(10):
            await producer.send_and_wait(topic, encode({"message_id": f"m{seq}",
                                                        "recipient": "r", "seq": seq,
                                                        "packet": b"p"}))  # fmt: skip
    finally:
        await producer.stop()

    group = topic_prefix + "group"
    partition = TopicPartition(topic, 0)

    def member() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                max_poll_records=4)  # fmt: skip

    first = member()
    await first.start()
    try:
        seen = (await consume(first, 4))[:4]
        # Commit only what was handled: the offset after the fourth record.
        await first.commit({partition: seen[-1].offset + 1})
    finally:
        await first.stop()

    second = member()
    await second.start()
    try:
        rest = await consume(second, 6)
    finally:
        await second.stop()
    assert [decode(m.value)["seq"] for m in seen] == [0, 1, 2, 3]
    assert [decode(m.value)["seq"] for m in rest] == [4, 5, 6, 7, 8, 9]
