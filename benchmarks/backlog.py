"""Benchmark B5: a backlog for an agency that was offline, drained when it comes back.

N delivery records (10 KB packets, default 100,000) wait on the deliveries topic for one
pull recipient; then the delivery worker starts and the benchmark measures how fast the inbox
fills, and checks that the inbox holds them once each, in the order they were queued.
Baseline in the same run: a bare aiokafka consumer reading the same records from the same
broker (the cost of Kafka alone). The last line printed is JSON.

    .venv/bin/python benchmarks/backlog.py [--count N] [--database-url URL]

Kafka: a broker of its own on a free port (or AXIS_KAFKA_BOOTSTRAP). Database: a SQLite file
in a temporary directory, the embedded default (or --database-url, e.g. PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from axis.broker.assembly import ensure_release
from axis.broker.cluster import LocalCluster
from axis.broker.layout import ClusterLayout
from axis.migrations.runner import upgrade
from axis.settings import DEFAULT_KAFKA_VERSION, default_cache_dir
from axis.store.db import make_engine, session_factory
from envelopes.records import DeliveryRecord, InlinePacket, RecordCodec, RecordKind, sha256
from routing.bus import Outgoing, make_producer, produce
from routing.delivery_worker import DeliveryContext
from routing.destinations import StaticDirectory
from routing.inbox_store import inbox
from routing.payloads import PayloadStore
from routing.topics import TopicLayout, ensure_topics
from routing.workers import WorkerRole, run_roles

RECIPIENT = "000.00.00.H53"
PACKET_BYTES = 10 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def queue_backlog(bootstrap: str, layout: TopicLayout, count: int) -> list[str]:
    """Produce `count` records for one recipient; return their message ids in queue order."""
    codec = RecordCodec()
    producer = make_producer(bootstrap, client_id="bench", transactional_id=layout.prefix + "q")
    await producer.start()
    ids: list[str] = []
    try:
        for start in range(0, count, 1000):
            batch = []
            for i in range(start, min(start + 1000, count)):
                data = (f"<edXML n='{i}'>".encode() + os.urandom(PACKET_BYTES // 2).hex().encode())[
                    :PACKET_BYTES
                ]
                record = DeliveryRecord(
                    message_id=uuid.uuid4(), kind=RecordKind.DOCUMENT,
                    sender_code="000.00.00.G22", recipient_code=RECIPIENT,
                    document_id=f"000.00.00.G22,2025/07/02,{i}/CV", packet=InlinePacket(data),
                    packet_sha256=sha256(data), submitted_at=datetime.now(UTC),
                )  # fmt: skip
                ids.append(str(record.message_id))
                batch.append(
                    Outgoing(layout.deliveries.name, RECIPIENT.encode(), codec.encode(record))
                )
            await produce(producer, batch)
    finally:
        await producer.stop()
    return ids


async def baseline(bootstrap: str, layout: TopicLayout, count: int) -> float:
    """Seconds a bare consumer takes to read every record (decoding nothing)."""
    consumer = AIOKafkaConsumer(
        layout.deliveries.name, bootstrap_servers=bootstrap, group_id=layout.prefix + "baseline",
        auto_offset_reset="earliest", isolation_level="read_committed", enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    started = time.perf_counter()
    seen = 0
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
            for tp, records in batches.items():
                seen += len(records)
                await consumer.commit({tp: records[-1].offset + 1})
    finally:
        await consumer.stop()
    return time.perf_counter() - started


async def drain(
    bootstrap: str, layout: TopicLayout, url: str, count: int
) -> tuple[float, list[str]]:
    engine = make_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    context = DeliveryContext(
        sessions=sessions, payloads=PayloadStore(sessions), directory=StaticDirectory(),
        layout=layout, node_id="bench",
    )  # fmt: skip
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(run_roles(bootstrap, context, [WorkerRole.DELIVER], stop))
    try:
        while True:
            async with sessions() as session:  # max(id) is an index lookup, unlike count(*)
                landed = (await session.execute(select(func.max(inbox.c.id)))).scalar() or 0
            if landed >= count:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - started
        async with sessions() as session:
            order = list(
                (await session.execute(select(inbox.c.message_id).order_by(inbox.c.id))).scalars()
            )
    finally:
        stop.set()
        await task
        await engine.dispose()
    return elapsed, order


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cluster = None
        bootstrap = os.environ.get("AXIS_KAFKA_BOOTSTRAP", "")
        if not bootstrap:
            release = ensure_release(default_cache_dir(), DEFAULT_KAFKA_VERSION)
            cluster = LocalCluster(ClusterLayout(root / "kafka", "127.0.0.1", free_port(), 1))
            await cluster.start(release, heap="1g", timeout=120)
            bootstrap = cluster.layout.bootstrap
        try:
            layout = TopicLayout(prefix=f"bench{uuid.uuid4().hex[:8]}.", partitions=6)
            await ensure_topics(bootstrap, layout.all())
            url = args.database_url or f"sqlite+aiosqlite:///{root / 'axis.db'}"
            ids = await queue_backlog(bootstrap, layout, args.count)
            raw = await baseline(bootstrap, layout, args.count)
            drained, order = await drain(bootstrap, layout, url, args.count)
        finally:
            if cluster is not None:
                cluster.stop(purge=True)
    in_order = order == ids
    rate, raw_rate = args.count / drained, args.count / raw
    print(f"backlog                      {args.count:,} packets of {PACKET_BYTES:,} bytes")
    print(f"bare Kafka read (baseline)   {raw_rate:10,.0f} records/s")
    print(f"drained into the inbox       {rate:10,.0f} deliveries/s ({drained:.1f} s)")
    print(f"ratio to bare Kafka          {rate / raw_rate:10.3f}")
    print(f"once each, in queue order    {in_order and len(set(order)) == len(order)}")
    print(json.dumps({
        "benchmark": "backlog", "count": args.count, "database": url.split(":")[0],
        "deliveries_per_s": round(rate, 1), "baseline_records_per_s": round(raw_rate, 1),
        "ratio": round(rate / raw_rate, 4), "in_order": in_order, "seconds": round(drained, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
