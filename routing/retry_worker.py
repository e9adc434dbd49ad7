"""The retry worker: holds records on the tier topics until they are due, then sends them back
to the deliveries topic.

Records on one tier all wait the same delay, so each partition of a tier is in due order: the
worker forwards records until it meets one that is not due yet, then pauses that partition
(positioned on that record) until its due time. Nothing sleeps in the delivery worker, and a
tier partition waiting costs no polling. Forwarding and the offset commit are one Kafka
transaction, so a record is forwarded once even if the worker dies right after.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from routing.bus import Batch, commit
from routing.clock import Clock, utc_now
from routing.headers import History
from routing.topics import TopicLayout
from routing.worker_loop import Records

log = structlog.get_logger(__name__)


class RetryWorker:
    """A `BatchHandler` for the retry tier topics (see routing.worker_loop)."""

    def __init__(
        self,
        layout: TopicLayout,
        producer: AIOKafkaProducer,
        group_id: str,
        clock: Clock = utc_now,
    ) -> None:
        self._layout = layout
        self._producer = producer
        self._group_id = group_id
        self._waiting: dict[TopicPartition, datetime] = {}
        self._clock = clock

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        self._resume_due(consumer)

    async def handle(self, consumer: AIOKafkaConsumer, records: Records) -> None:
        now = self._clock()
        batch = Batch()
        for tp, items in records.items():
            for item in items:
                history = History.from_headers(item.headers)
                if history.due_at is not None and history.due_at > now:
                    consumer.seek(tp, item.offset)
                    consumer.pause(tp)
                    self._waiting[tp] = history.due_at
                    break
                batch.send(
                    self._layout.deliveries.name,
                    (item.key or b"").decode(),
                    item.value or b"",
                    history.due(None).to_headers() if history.due_at else item.headers,
                )
                batch.consumed(tp.topic, tp.partition, item.offset)
        if batch.outgoing:
            await commit(self._producer, batch, self._group_id)
            log.info("retries forwarded", count=len(batch.outgoing))
        self._resume_due(consumer)

    def _resume_due(self, consumer: AIOKafkaConsumer) -> None:
        now = self._clock()
        assigned = consumer.assignment()
        for tp, due in list(self._waiting.items()):
            if tp not in assigned:
                del self._waiting[tp]
            elif due <= now:
                consumer.resume(tp)
                del self._waiting[tp]
