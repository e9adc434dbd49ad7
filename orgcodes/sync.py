"""Keeping every node's registry at the authority's version, over a compacted Kafka topic.

The registry authority (the Government Office's node) applies a change set to its own database
first; the version record waits there (an outbox) until the change set is on the registry topic,
keyed by its version, so a crash between the two only delays publication. Every other node reads
the topic from the start, in order, applies each version that follows its own, skips those it
has, and, when a version is missing (the topic was truncated, or the node was set up from
nothing while the authority had already moved on), loads the latest signed snapshot and goes on
from there. A node notes each time it has caught up with the topic: that is how old its copy is.

The authority also beats (`HeartbeatPublisher`, on a topic of its own): a follower checks each
heartbeat against the authority's certificate and records when the authority was last heard of,
so a dead authority is noticed (`orgcodes.heartbeat`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from cryptography import x509

from envelopes.errors import EnvelopeError
from envelopes.records import RecordCodec, RegistryChange, RegistryHeartbeat
from orgcodes.changes import parse_change_set
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.heartbeat import check_heartbeat, make_heartbeat
from orgcodes.service import RegistryService
from orgcodes.snapshot import read_snapshot
from orgcodes.store import VersionRecord
from signing.certificates import PrivateKey
from signing.errors import SignatureError

log = structlog.get_logger("orgcodes.sync")

MAX_CHANGE_BYTES = 64 * 1024 * 1024
"""Largest change set record (a whole national directory imported at once is ~20 MB of JSON,
a few MB once compressed); the registry topic is created to accept it."""


def _key(version: int) -> bytes:
    return f"{version:012d}".encode("ascii")


class RegistryPublisher:
    """The authority's side: puts every locally applied, unpublished version on the topic."""

    def __init__(self, service: RegistryService, bootstrap: str, topic: str) -> None:
        self.service = service
        self.bootstrap = bootstrap
        self.topic = topic
        self.codec = RecordCodec()

    async def publish_pending(self) -> list[int]:
        """Publish what the outbox holds, oldest first; returns the versions published."""
        async with self.service.sessions() as session:
            pending = await self.service.store.unpublished(session)
        if not pending:
            return []
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            compression_type="gzip",
            max_request_size=MAX_CHANGE_BYTES,
            request_timeout_ms=30_000,
        )
        await producer.start()
        published = []
        try:
            for record in pending:
                await producer.send_and_wait(
                    self.topic, self._encode(record), key=_key(record.version)
                )
                async with self.service.sessions.begin() as session:
                    await self.service.store.mark_published(
                        session, record.version, self.service.clock()
                    )
                published.append(record.version)
                log.info("registry.published", version=record.version, topic=self.topic)
        finally:
            await producer.stop()
        return published

    def _encode(self, record: VersionRecord) -> bytes:
        payload = record.payload.encode("utf-8")
        return self.codec.encode(
            RegistryChange(
                version=record.version,
                effective_at=record.effective,
                published_at=self.service.clock(),
                publisher=record.applied_by,
                reason=record.reason,
                payload_json=record.payload,
                payload_sha256=hashlib.sha256(payload).digest(),
            )
        )


class SnapshotSource(Protocol):
    """Where a node gets the latest signed snapshot when it must resync."""

    async def fetch(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class FileSnapshotSource:
    """A snapshot file (or a directory holding `registry-snapshot.json`), e.g. on shared storage."""

    path: Path

    async def fetch(self) -> bytes:
        path = self.path / "registry-snapshot.json" if self.path.is_dir() else self.path
        return await asyncio.to_thread(path.read_bytes)


class RegistryFollower:
    """A node's side: applies every version from the topic, in order, into its registry."""

    def __init__(
        self,
        service: RegistryService,
        bootstrap: str,
        topic: str,
        *,
        snapshots: SnapshotSource | None = None,
        authorities: Sequence[x509.Certificate] = (),
        synced_every: float = 5.0,
        poll_ms: int = 200,
        waits: Callable[[BaseException], bool] = lambda _: False,
    ) -> None:
        """`waits` tells an error to wait out (the database away) from one that stops the
        follower; the node passes `axis.store.db.database_unavailable`."""
        self.service = service
        self.bootstrap = bootstrap
        self.topic = topic
        self.snapshots = snapshots
        self.authorities = tuple(authorities)
        self.synced_every = synced_every
        self.poll_ms = poll_ms
        self.waits = waits
        self.codec = RecordCodec()
        self.caught_up = asyncio.Event()
        """Set each time the follower has read the topic to its end."""
        self._marked_at = 0.0

    async def run(self, stopping: asyncio.Event) -> None:
        """Follow the topic until `stopping` is set."""
        await self.service.load()
        partition = TopicPartition(self.topic, 0)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            fetch_max_bytes=MAX_CHANGE_BYTES,
            max_partition_fetch_bytes=MAX_CHANGE_BYTES,
        )
        await consumer.start()
        try:
            consumer.assign([partition])
            await consumer.seek_to_beginning(partition)
            while not stopping.is_set():
                batch = await consumer.getmany(partition, timeout_ms=self.poll_ms)
                for record in batch.get(partition, []):
                    if not await self._waited(self._take(record)):
                        consumer.seek(partition, record.offset)  # try this record again later
                        await asyncio.wait([asyncio.ensure_future(stopping.wait())], timeout=5)
                        break
                if not await self._waited(self._note_progress(consumer, partition)):
                    await asyncio.wait([asyncio.ensure_future(stopping.wait())], timeout=5)
        finally:
            await consumer.stop()

    async def _waited(self, step: Coroutine[Any, Any, bool | None]) -> bool:
        """Run `step`; False when the database is away (the step is tried again later)."""
        try:
            return await step is not False
        except Exception as error:
            if not self.waits(error):
                raise
            log.warning("registry.follower_waits_for_the_database", error=type(error).__name__)
            return False

    async def _take(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Apply `record` if it is the next version; False when the node must wait and retry."""
        try:
            change = self.codec.decode(record.value or b"", RegistryChange)
        except EnvelopeError as error:
            log.error("registry.record_unreadable", offset=record.offset, reason=str(error))
            return False
        if change.version <= self.service.version:
            return True
        if not change.payload_intact():
            log.error("registry.change_corrupt", version=change.version, offset=record.offset)
            return False
        if change.version > self.service.version + 1:
            return await self._resync(change.version)
        try:
            change_set = parse_change_set(change.payload_json)
            await self.service.apply(
                change_set, actor=change.publisher, source="kafka", version=change.version,
                published_at=change.published_at,
            )  # fmt: skip
        except RegistryError as error:
            if error.code in (RegistryCode.VERSION_GAP, RegistryCode.VERSION_OLD):
                await self.service.refresh()  # another process of this node moved the version
                return False
            log.error(
                "registry.change_refused",
                version=change.version,
                code=error.code.value,
                reason=error.message,
            )
            return False
        self._marked_at = 0.0
        log.info("registry.applied", version=change.version, source="kafka")
        return True

    async def _resync(self, seen: int) -> bool:
        have = self.service.version
        log.warning("registry.version_gap", have=have, seen=seen)
        if self.snapshots is None:
            log.error("registry.no_snapshot_source", have=have, seen=seen)
            return False
        try:
            data = await self.snapshots.fetch()
            registry, info = read_snapshot(
                data, authorities=self.authorities, at=self.service.clock(), current_version=have
            )
        except (OSError, RegistryError) as error:
            log.error("registry.resync_failed", have=have, seen=seen, reason=str(error))
            return False
        if info.version < seen - 1:
            log.error("registry.snapshot_behind", snapshot=info.version, seen=seen)
            return False
        await self.service.replace(registry, source="snapshot")
        log.info("registry.resynced", version=info.version)
        return True

    async def _note_progress(self, consumer: AIOKafkaConsumer, partition: TopicPartition) -> None:
        end = consumer.last_stable_offset(partition)
        if end is None:  # nothing fetched yet: ask the broker
            end = (await consumer.end_offsets([partition]))[partition]
        if await consumer.position(partition) < end:
            return
        self.caught_up.set()
        now = time.monotonic()
        if now - self._marked_at >= self.synced_every:
            await self.service.mark_synced()
            self._marked_at = now


HEARTBEAT_KEY = b"heartbeat"


class HeartbeatPublisher:
    """The authority's side: its version and the time, signed, on the heartbeat topic."""

    def __init__(
        self,
        service: RegistryService,
        bootstrap: str,
        topic: str,
        publisher: str,
        signer: tuple[PrivateKey, x509.Certificate] | None,
    ) -> None:
        self.service = service
        self.bootstrap = bootstrap
        self.topic = topic
        self.publisher = publisher
        self.signer = signer
        self.codec = RecordCodec()
        self._producer: AIOKafkaProducer | None = None

    async def beat(self) -> None:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, acks="all", request_timeout_ms=10_000
            )
            await producer.start()
            self._producer = producer
        await self.service.refresh()  # another process may have applied a version
        heartbeat = make_heartbeat(
            self.service.version, self.service.clock(), self.publisher, self.signer
        )
        await self._producer.send_and_wait(
            self.topic, self.codec.encode(heartbeat), key=HEARTBEAT_KEY
        )

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def run(self, stopping: asyncio.Event, every: float) -> None:
        """Beat every `every` seconds until `stopping` is set; a broker away is waited out."""
        try:
            while not stopping.is_set():
                try:
                    await self.beat()
                except Exception as error:  # the broker may be away: beat again later
                    log.warning("registry.heartbeat_not_sent", error=type(error).__name__)
                    await self.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), every)
        finally:
            await self.close()


class HeartbeatFollower:
    """A follower's side: checks each heartbeat and records when the authority was heard of."""

    def __init__(
        self,
        service: RegistryService,
        bootstrap: str,
        topic: str,
        *,
        authorities: Sequence[x509.Certificate] = (),
        poll_ms: int = 500,
    ) -> None:
        self.service = service
        self.bootstrap = bootstrap
        self.topic = topic
        self.authorities = tuple(authorities)
        self.poll_ms = poll_ms
        self.codec = RecordCodec()

    async def run(self, stopping: asyncio.Event) -> None:
        partition = TopicPartition(self.topic, 0)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False,
            auto_offset_reset="earliest",
        )  # fmt: skip
        await consumer.start()
        try:
            consumer.assign([partition])
            end = (await consumer.end_offsets([partition]))[partition]
            consumer.seek(partition, max(0, end - 1))  # the latest one is all that counts
            while not stopping.is_set():
                batch = await consumer.getmany(partition, timeout_ms=self.poll_ms)
                records = batch.get(partition, [])
                if records:
                    await self.take(records[-1].value or b"")
        finally:
            await consumer.stop()

    async def take(self, data: bytes) -> bool:
        """Record the heartbeat in `data` if it holds; False (logged) when it does not."""
        try:
            heartbeat = self.codec.decode(data, RegistryHeartbeat)
            check_heartbeat(heartbeat, self.authorities, at=self.service.clock())
        except (EnvelopeError, SignatureError) as error:
            log.error("registry.heartbeat_refused", reason=str(error))
            return False
        try:
            await self.service.record_heartbeat(heartbeat.at, heartbeat.version)
        except Exception as error:  # the database may be away: the next heartbeat is recorded
            log.warning("registry.heartbeat_not_recorded", error=type(error).__name__)
            return False
        return True
