"""Dead letters: deliveries the axis gave up on, listed for operators and replayable.

The dead-letter topic is the record of truth (each dead letter is the original delivery record
with its whole history in the headers, see routing.headers). The tracker projects it into this
table so that operators can list and filter dead letters without reading a topic; the projection
is idempotent (one row per dead-letter topic position). A replay sends the original record back
to the deliveries topic with a fresh history and marks the row replayed; the recipient's inbox
(or the endpoint, by message id) makes sure a replay never produces a second copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from envelopes.records import DeliveryRecord
from routing.headers import History
from routing.sql import UtcDateTime, insert_once, metadata

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("source", String(300), nullable=False),
    Column("message_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sender_code", String(64), nullable=False),
    Column("recipient_code", String(64), nullable=False),
    Column("document_id", String(200), nullable=False),
    Column("origin", String(300), nullable=True),
    Column("failures", Integer, nullable=False),
    Column("first_failed_at", UtcDateTime(), nullable=True),
    Column("first_error", String(1000), nullable=True),
    Column("last_error", String(1000), nullable=True),
    Column("error_class", String(16), nullable=True),
    Column("reason", String(1000), nullable=True),
    Column("dead_at", UtcDateTime(), nullable=False),
    Column("record", LargeBinary, nullable=False),
    Column("replayed_at", UtcDateTime(), nullable=True),
    Column("replayed_by", String(200), nullable=True),
    UniqueConstraint("source"),
    Index(None, "recipient_code", "dead_at"),
    Index(None, "dead_at"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    source: str
    message_id: str
    kind: str
    sender_code: str
    recipient_code: str
    document_id: str
    origin: str | None
    failures: int
    first_failed_at: datetime | None
    first_error: str | None
    last_error: str | None
    error_class: str | None
    reason: str | None
    dead_at: datetime
    record: bytes
    replayed_at: datetime | None
    replayed_by: str | None


@dataclass(frozen=True, slots=True)
class DeadLetterQuery:
    """Which dead letters: by recipient and time window; replayed ones only when asked."""

    recipient_code: str | None = None
    sender_codes: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_replayed: bool = False
    limit: int = 100


class DeadLetters:
    """The dead-letter projection, inside the caller's session and transaction."""

    async def record(
        self,
        session: AsyncSession,
        *,
        source: str,
        record: DeliveryRecord,
        encoded: bytes,
        history: History,
        dead_at: datetime,
    ) -> bool:
        """Project one dead-letter topic record; False if it was projected before."""
        statement = insert_once(session, dead_letters, "source").values(
            source=source,
            message_id=str(record.message_id),
            kind=record.kind.value,
            sender_code=record.sender_code,
            recipient_code=record.recipient_code,
            document_id=record.document_id,
            origin=str(history.origin) if history.origin else None,
            failures=history.failures,
            first_failed_at=history.first_failed_at,
            first_error=history.first_error,
            last_error=history.last_error,
            error_class=history.error_class,
            reason=history.give_up,
            dead_at=dead_at,
            record=encoded,
        )
        return bool(getattr(await session.execute(statement), "rowcount", 0))

    async def find(self, session: AsyncSession, query: DeadLetterQuery) -> list[DeadLetter]:
        statement = select(dead_letters).order_by(dead_letters.c.dead_at, dead_letters.c.id)
        if query.recipient_code is not None:
            statement = statement.where(dead_letters.c.recipient_code == query.recipient_code)
        if query.sender_codes is not None:
            statement = statement.where(dead_letters.c.sender_code.in_(list(query.sender_codes)))
        if query.since is not None:
            statement = statement.where(dead_letters.c.dead_at >= query.since)
        if query.until is not None:
            statement = statement.where(dead_letters.c.dead_at < query.until)
        if not query.include_replayed:
            statement = statement.where(dead_letters.c.replayed_at.is_(None))
        rows = await session.execute(statement.limit(query.limit))
        return [_dead_letter(row._mapping) for row in rows]

    async def get(self, session: AsyncSession, dead_letter_id: int) -> DeadLetter | None:
        row = (
            await session.execute(select(dead_letters).where(dead_letters.c.id == dead_letter_id))
        ).first()
        return _dead_letter(row._mapping) if row is not None else None

    async def mark_replayed(
        self, session: AsyncSession, dead_letter_id: int, *, by: str, at: datetime
    ) -> bool:
        """Mark a dead letter replayed; False if someone replayed it first."""
        result = await session.execute(
            update(dead_letters)
            .where(dead_letters.c.id == dead_letter_id, dead_letters.c.replayed_at.is_(None))
            .values(replayed_at=at, replayed_by=by)
        )
        return bool(getattr(result, "rowcount", 0))


def _dead_letter(data: RowMapping) -> DeadLetter:
    return DeadLetter(**{column.name: data[column.name] for column in dead_letters.columns})
