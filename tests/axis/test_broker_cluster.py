"""A replicated local cluster: three real brokers, replication factor 3, one node down."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from axis.broker.assembly import ensure_release
from axis.broker.cluster import LocalCluster, metadata_brokers
from axis.broker.layout import ClusterLayout
from axis.settings import DEFAULT_KAFKA_VERSION, default_cache_dir
from tests.support.postgres import free_port

pytestmark = pytest.mark.integration


def _free_block(size: int) -> int:
    """A port p with p..p+size-1 all free."""
    for _ in range(100):
        base = free_port()
        try:
            for offset in range(size):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports")


async def _replicas_once_known(admin: AIOKafkaAdminClient, topic: str) -> list[int]:
    """The replicas of partition 0, once the broker answering has learnt the new topic.

    create_topics returns when the controller has the topic; the broker asked next may answer
    from older metadata for a moment, with no partitions yet.
    """
    for _ in range(100):
        (description,) = await admin.describe_topics([topic])
        if description["partitions"]:
            return list(description["partitions"][0]["replicas"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"topic {topic} has no partitions 10 s after it was created")


async def test_three_nodes_replicate_and_survive_one_node_down(tmp_path: Path) -> None:
    layout = ClusterLayout(root=tmp_path / "c3", host="127.0.0.1", port=_free_block(6),
                           node_count=3)  # fmt: skip
    cluster = LocalCluster(layout)
    await cluster.start(ensure_release(default_cache_dir(), DEFAULT_KAFKA_VERSION), heap="384m")
    try:
        assert await metadata_brokers(layout.bootstrap) == 3
        admin = AIOKafkaAdminClient(bootstrap_servers=layout.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic("replicated", num_partitions=1,
                                                replication_factor=3)])  # fmt: skip
            replicas = await _replicas_once_known(admin, "replicated")
        finally:
            await admin.close()
        assert len(replicas) == 3

        producer = AIOKafkaProducer(bootstrap_servers=layout.bootstrap, acks="all",
                                    enable_idempotence=True)  # fmt: skip
        await producer.start()
        try:
            await producer.send_and_wait("replicated", b"before")
            cluster.kill(3)  # a crash, not a controlled shutdown
            # Two in-sync replicas remain: min.insync.replicas=2 still accepts acks=all writes.
            await producer.send_and_wait("replicated", b"after")
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer("replicated", bootstrap_servers=layout.bootstrap,
                                    auto_offset_reset="earliest")  # fmt: skip
        await consumer.start()
        try:
            values: list[bytes] = []
            while len(values) < 2:
                batch = await consumer.getmany(timeout_ms=10_000)
                assert batch, "no records within 10 s"
                values += [m.value for messages in batch.values() for m in messages]
        finally:
            await consumer.stop()
        assert values == [b"before", b"after"]
        statuses = await cluster.status()
        assert [s.answering for s in statuses] == [True, True, False]
    finally:
        cluster.stop(purge=True)
