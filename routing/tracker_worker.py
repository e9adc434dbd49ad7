"""The tracker: applies tracking events and projects dead letters into the node database, and
appends what must be provable later (accepted, delivered, fetched, ...) to the evidence log.

It consumes the tracking and dead-letter topics, writes a batch in one database transaction,
and commits the consumer offsets after it. A crash between the two repeats the batch, which is
harmless: every row remembers the topic position it came from and is written once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.records import DeliveryRecord, RecordCodec, TrackingEvent, TrackingEventType
from routing.clock import Clock, utc_now
from routing.dead_letters import DeadLetters
from routing.evidence import Evidence, EvidenceLog
from routing.headers import History
from routing.topics import TopicLayout
from routing.tracking import TrackingStore
from routing.worker_loop import Records

log = structlog.get_logger(__name__)

_EVIDENCE: dict[TrackingEventType, str] = {
    TrackingEventType.ACCEPTED: "accepted",
    TrackingEventType.DELIVERED: "delivered",
    TrackingEventType.FETCHED: "fetched",
    TrackingEventType.ACKNOWLEDGED: "acknowledged",
    TrackingEventType.REJECTED: "rejected",
    TrackingEventType.FAILED: "failed",
    TrackingEventType.DEAD_LETTERED: "dead_lettered",
    TrackingEventType.REPLAYED: "replayed",
    TrackingEventType.REROUTED: "rerouted",
}
"""Tracking events that are also appended to the tamper-evident log, and their evidence kind."""


class TrackerWorker:
    """A `BatchHandler` for the tracking and dead-letter topics (see routing.worker_loop)."""

    def __init__(
        self,
        layout: TopicLayout,
        sessions: async_sessionmaker[AsyncSession],
        *,
        codec: RecordCodec | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._layout = layout
        self._sessions = sessions
        self._codec = codec or RecordCodec()
        self._store = TrackingStore()
        self._dead_letters = DeadLetters()
        self._evidence = EvidenceLog()
        self._clock = clock

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        return None

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        """The batch's dead letters, then its tracking events (applied together: a few
        multi-row statements), then its evidence (one append per chain), in one transaction;
        the offsets are committed after it."""
        offsets: dict[TopicPartition, int] = {}
        events: list[tuple[TrackingEvent, str, int]] = []
        async with self._sessions.begin() as session:
            for tp, items in records.items():
                for item in items:
                    source = f"{item.topic}:{item.partition}:{item.offset}"
                    if item.topic == self._layout.dead_letters.name:
                        await self._dead_letter(session, source, item)
                    elif (event := self._decoded(item.value or b"", source)) is not None:
                        events.append((event, source, tp.partition))
                    offsets[tp] = item.offset + 1
            await self._tracking(session, events)
        await consumer.commit(offsets)

    def _decoded(self, value: bytes, source: str) -> TrackingEvent | None:
        try:
            return self._codec.decode(value, TrackingEvent)
        except Exception:
            log.exception("unreadable tracking event skipped", source=source)
            return None

    async def _tracking(
        self, session: AsyncSession, events: list[tuple[TrackingEvent, str, int]]
    ) -> None:
        applied = await self._store.apply_many(session, [(e, source) for e, source, _ in events])
        proven = [
            (event, partition, kind)
            for (event, _, partition), done in zip(events, applied, strict=True)
            if done.recorded and (kind := _EVIDENCE.get(event.event)) is not None
        ]
        if not proven:
            return
        known = await self._store.messages(session, {event.message_id for event, _, _ in proven})
        chains: dict[int, list[Evidence]] = {}
        for event, partition, kind in proven:
            message = known.get(event.message_id)
            if message is None:  # a notice the axis wrote itself: nothing was submitted to prove
                continue
            chains.setdefault(partition, []).append(
                Evidence(
                    kind=kind,
                    message_id=str(event.message_id),
                    party=event.recipient_code,
                    packet_sha256=message.packet_sha256,
                    at=event.at,
                    detail=event.detail or "",
                )
            )
        # One chain per tracking partition: only this partition's owner appends to it.
        for partition, facts in sorted(chains.items()):
            await self._evidence.append(session, partition, facts)

    async def _dead_letter(
        self, session: AsyncSession, source: str, item: ConsumerRecord[bytes, bytes]
    ) -> None:
        value = item.value or b""
        try:
            record = self._codec.decode(value, DeliveryRecord)
        except Exception:
            log.exception("unreadable dead letter left on its topic only", source=source)
            return
        dead_at = (
            datetime.fromtimestamp(item.timestamp / 1000, UTC) if item.timestamp else self._clock()
        )
        await self._dead_letters.record(
            session,
            source=source,
            record=record,
            encoded=value,
            history=History.from_headers(item.headers),
            dead_at=dead_at,
        )
