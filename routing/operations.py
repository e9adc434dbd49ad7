"""Operator actions on the bus: replay dead letters, pause and resume destinations.

These are the routing halves of the operator commands; the node's edges (CLI, HTTP API) call
them inside a transaction that also writes the audit log entry (who, when, what).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from envelopes.records import DeliveryRecord, RecordCodec, TrackingEvent, TrackingEventType
from routing.bus import Outgoing, produce
from routing.dead_letters import DeadLetter, DeadLetterQuery, DeadLetters
from routing.headers import History, Origin
from routing.topics import TopicLayout


@dataclass(frozen=True, slots=True)
class Replayed:
    dead_letter_id: int
    message_id: str
    recipient_code: str


class ReplayError(Exception):
    code = "REPLAY_ERROR"


class DeadLetterNotFound(ReplayError):
    code = "DEAD_LETTER_NOT_FOUND"


class AlreadyReplayed(ReplayError):
    code = "DEAD_LETTER_ALREADY_REPLAYED"


@dataclass(slots=True)
class Replayer:
    """Sends dead letters back to the deliveries topic, each once."""

    layout: TopicLayout
    producer: AIOKafkaProducer
    node_id: str
    codec: RecordCodec
    dead_letters: DeadLetters

    async def replay_one(
        self, session: AsyncSession, dead_letter_id: int, *, by: str, at: datetime
    ) -> Replayed:
        """Replay one dead letter. The row is claimed first; the claim is only committed (by the
        caller's transaction) if Kafka took the record, so a failed produce leaves it
        replayable and a concurrent second replay finds it claimed."""
        found = await self.dead_letters.get(session, dead_letter_id)
        if found is None:
            raise DeadLetterNotFound(f"There is no dead letter {dead_letter_id}.")
        if not await self.dead_letters.mark_replayed(session, dead_letter_id, by=by, at=at):
            raise AlreadyReplayed(
                f"Dead letter {dead_letter_id} was replayed already; its delivery is under way."
            )
        await produce(self.producer, self._records(found, by=by, at=at))
        return Replayed(dead_letter_id, found.message_id, found.recipient_code)

    async def replay_many(
        self, session: AsyncSession, query: DeadLetterQuery, *, by: str, at: datetime
    ) -> list[Replayed]:
        """Replay every dead letter the query finds (by recipient, time window)."""
        found = await self.dead_letters.find(session, query)
        replayed: list[Replayed] = []
        for letter in found:
            replayed.append(await self.replay_one(session, letter.id, by=by, at=at))
        return replayed

    def _records(self, letter: DeadLetter, *, by: str, at: datetime) -> list[Outgoing]:
        record = self.codec.decode(letter.record, DeliveryRecord)
        origin = Origin.parse(letter.origin) if letter.origin else None
        history = History(origin=origin).replayed(by)
        # A replay is a new attempt: what happens to it is a new fact (see routing.tracking).
        record = dataclasses.replace(record, attempt=record.attempt + 1)
        event = TrackingEvent(
            message_id=record.message_id,
            recipient_code=record.recipient_code,
            event=TrackingEventType.REPLAYED,
            at=at,
            attempt=record.attempt,
            node_id=self.node_id,
            detail=f"replayed by {by} (dead letter {letter.id})",
        )
        return [
            Outgoing(
                self.layout.deliveries.name,
                record.recipient_code.encode(),
                self.codec.encode(record),
                tuple(history.to_headers()),
            ),
            Outgoing(
                self.layout.tracking.name, str(record.message_id).encode(), self.codec.encode(event)
            ),
        ]
