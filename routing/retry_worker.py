"""The retry worker: holds records on the tier topics until they are due, then sends them back
to the deliveries topic.

Records on one tier all wait the same delay, so each partition of a tier is in due order: the
worker forwards records until it meets one that is not due yet, then pauses that partition
(positioned on that record) until its due time. Nothing sleeps in the delivery worker, and a
tier partition waiting costs no polling. Forwarding and the offset commit are one Kafka
transaction, so a record is forwarded once even if the worker dies right after.

When the registry's answers change, what waits for a code that closed since goes on at once
instead of at its due time (`routing.retry_lookahead`).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from routing.bus import Batch, commit
from routing.clock import Clock, utc_now
from routing.headers import History
from routing.retry_lookahead import Epoch, Lookahead
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
        lookahead: Lookahead | None = None,
    ) -> None:
        self._layout = layout
        self._producer = producer
        self._group_id = group_id
        self._waiting: dict[TopicPartition, datetime] = {}
        self._clock = clock
        self._lookahead = lookahead

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def idle(self, consumer: AIOKafkaConsumer) -> None:
        await self._look_ahead(consumer)
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
        await self._look_ahead(consumer)
        self._resume_due(consumer)

    async def _look_ahead(self, consumer: AIOKafkaConsumer) -> None:
        """When the registry's answers changed: send on now what waits for a code it closed,
        rewriting each partition that holds such a record (`routing.retry_lookahead`). Never
        raises: the batch before it is committed, and what failed is tried at the next chance."""
        lookahead = self._lookahead
        if lookahead is None:
            return
        epoch = lookahead.changed(consumer.assignment())
        if epoch is None:
            return
        try:
            await self._send_on_closed(consumer, lookahead, epoch)
        except Exception as error:  # the broker may be away: the tiers stay as they were
            log.warning("retry look-ahead failed; trying again", error=type(error).__name__)
            lookahead.failed()

    async def _send_on_closed(
        self, consumer: AIOKafkaConsumer, lookahead: Lookahead, epoch: Epoch
    ) -> None:
        assigned = list(epoch.partitions)
        positions = {tp: await consumer.position(tp) for tp in assigned}
        ends = await consumer.end_offsets(assigned)
        behind = {tp: at for tp, at in positions.items() if ends.get(tp, at) > at}
        sent_on = 0
        if behind:
            async with lookahead.reader() as reader:
                for tp, position in behind.items():
                    items = await reader.waiting(tp, position, ends[tp])
                    if items is None or tp not in consumer.assignment():
                        lookahead.failed()  # the broker away, or a rebalance: try again later
                        return
                    sent_on += await self._rewrite(consumer, tp, items, lookahead)
        if sent_on:
            log.info("retries for closed codes sent on ahead of time", count=sent_on)
        lookahead.swept(epoch)

    async def _rewrite(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        items: list[ConsumerRecord[bytes, bytes]],
        lookahead: Lookahead,
    ) -> int:
        """If `items` (the waiting part of `tp`) hold records for closed codes: send those on,
        append the others to `tp` again and move past them all, in one transaction; how many
        were sent on."""
        closed = [lookahead.closed(item) for item in items]
        if not any(closed):
            return 0
        batch = Batch()
        for item, now_closed in zip(items, closed, strict=True):
            key = (item.key or b"").decode()
            if now_closed:
                headers = History.from_headers(item.headers).due(None).to_headers()
                batch.send(self._layout.deliveries.name, key, item.value or b"", headers)
            else:  # waits on, as it was, behind the records still to come
                batch.send(tp.topic, key, item.value or b"", item.headers)
        batch.consumed(tp.topic, tp.partition, items[-1].offset)
        await commit(self._producer, batch, self._group_id)
        consumer.seek(tp, items[-1].offset + 1)
        consumer.resume(tp)
        self._waiting.pop(tp, None)
        return sum(closed)

    def _resume_due(self, consumer: AIOKafkaConsumer) -> None:
        now = self._clock()
        assigned = consumer.assignment()
        for tp, due in list(self._waiting.items()):
            if tp not in assigned:
                del self._waiting[tp]
            elif due <= now:
                consumer.resume(tp)
                del self._waiting[tp]
