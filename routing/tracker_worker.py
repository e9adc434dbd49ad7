"""The tracker: applies tracking events and projects dead letters into the node database.

It consumes the tracking and dead-letter topics, writes a batch in one database transaction,
and commits the consumer offsets after it. A crash between the two repeats the batch, which is
harmless: every row remembers the topic position it came from and is written once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.records import DeliveryRecord, RecordCodec, TrackingEvent
from routing.clock import Clock, utc_now
from routing.dead_letters import DeadLetters
from routing.headers import History
from routing.topics import TopicLayout
from routing.tracking import TrackingStore
from routing.worker_loop import Records

log = structlog.get_logger(__name__)


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
        self._clock = clock

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        return None

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        offsets: dict[TopicPartition, int] = {}
        async with self._sessions.begin() as session:
            for tp, items in records.items():
                for item in items:
                    source = f"{item.topic}:{item.partition}:{item.offset}"
                    if item.topic == self._layout.dead_letters.name:
                        await self._dead_letter(session, source, item)
                    else:
                        await self._tracking(session, source, item.value or b"")
                    offsets[tp] = item.offset + 1
        await consumer.commit(offsets)

    async def _tracking(self, session: AsyncSession, source: str, value: bytes) -> None:
        try:
            event = self._codec.decode(value, TrackingEvent)
        except Exception:
            log.exception("unreadable tracking event skipped", source=source)
            return
        await self._store.apply(session, event, source=source)

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
