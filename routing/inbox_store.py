"""Pull delivery: each recipient's inbox in the node database, filled once, fetched, acknowledged.

The delivery worker reads from Kafka at least once, so the same record can reach it twice (a
crash before the offset commit, a rebalance). The inbox is where that stops: one row per
(recipient, message id), inserted with "do nothing if it exists", so a packet is never twice in
an inbox whatever Kafka re-delivers. Items are numbered in arrival order (`id`), which is the
cursor a document management system pages with (`since`).

The recipient acknowledges what it fetched: `processing` (it has it in hand), then `done` or
`fail`. `done` and `fail` are final; repeating an acknowledgement is harmless, changing a final
one is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    func,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from envelopes.records import RecordKind
from routing.sql import ROWS_PER_STATEMENT, UtcDateTime, insert_once, metadata

inbox = Table(
    "inbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("recipient_code", String(64), nullable=False),
    Column("message_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sender_code", String(64), nullable=False),
    Column("document_id", String(200), nullable=False),
    Column("addressed_to", String(64), nullable=True),
    Column("packet_sha256", String(64), nullable=False),
    Column("packet_size", BigInteger, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("fetched_at", UtcDateTime(), nullable=True),
    Column("ack", String(16), nullable=True),
    Column("ack_at", UtcDateTime(), nullable=True),
    Column("ack_detail", String(500), nullable=True),
    Column("handed_over_to", String(64), nullable=True),
    Column("handed_over_at", UtcDateTime(), nullable=True),
    Column("handover_announced", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("recipient_code", "message_id"),
    Index(None, "recipient_code", "kind", "id"),
    Index(None, "fetched_at", "recipient_code"),
)  # fmt: skip
"""One row per (recipient, message id). An unfetched item of a code that closed is handed over
to the successor after a grace period (`routing.handover`): the successor gets a row of its
own, and this one keeps `handed_over_to` and drops out of every listing."""


class Ack(str, Enum):
    """What a recipient system says of a packet it fetched (the national API's words)."""

    PROCESSING = "processing"
    DONE = "done"
    FAIL = "fail"

    @property
    def final(self) -> bool:
        return self is not Ack.PROCESSING


class InboxError(Exception):
    """Base of the inbox's refusals; `code` is machine-readable, the message a sentence."""

    code = "INBOX_ERROR"


class InboxItemNotFound(InboxError):
    code = "INBOX_ITEM_NOT_FOUND"


class InboxItemHandedOver(InboxItemNotFound):
    """The item was handed over to the successor of its closed code before anyone fetched it."""

    code = "INBOX_ITEM_HANDED_OVER"


class InboxAckConflict(InboxError):
    code = "INBOX_ACK_CONFLICT"


@dataclass(frozen=True, slots=True)
class Arrival:
    """A packet for one recipient, as the delivery worker hands it to the inbox."""

    recipient_code: str
    message_id: UUID
    kind: RecordKind
    sender_code: str
    document_id: str
    packet_sha256: str
    packet_size: int
    addressed_to: str | None = None
    """The code the sender wrote, when the registry redirected it to `recipient_code`."""


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    recipient_code: str
    message_id: UUID
    kind: RecordKind
    sender_code: str
    document_id: str
    addressed_to: str | None
    packet_sha256: str
    packet_size: int
    received_at: datetime
    fetched_at: datetime | None
    ack: Ack | None
    ack_at: datetime | None
    ack_detail: str | None


@dataclass(frozen=True, slots=True)
class AckResult:
    item: InboxItem
    changed: bool
    """False when the same acknowledgement was already recorded."""


class Inbox:
    """The inbox operations; every method works inside the caller's session and transaction."""

    async def receive(
        self, session: AsyncSession, arrival: Arrival, *, at: datetime | None = None
    ) -> bool:
        """Put `arrival` in its recipient's inbox; False if it was there already."""
        statement = insert_once(session, inbox, "recipient_code", "message_id").values(
            _row(arrival, at or datetime.now(UTC))
        )
        result = await session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    async def receive_many(
        self, session: AsyncSession, arrivals: Sequence[Arrival], *, at: datetime | None = None
    ) -> None:
        """Put several arrivals in their inboxes in one statement; those already there are left
        as they are (a re-delivered batch)."""
        if not arrivals:
            return
        when = at or datetime.now(UTC)
        await session.execute(
            insert_once(session, inbox, "recipient_code", "message_id"),
            [_row(arrival, when) for arrival in arrivals],
        )

    async def list(
        self,
        session: AsyncSession,
        recipient_codes: Sequence[str],
        *,
        kind: RecordKind | None = None,
        since: int = 0,
        limit: int = 100,
        unacknowledged_only: bool = False,
    ) -> list[InboxItem]:
        """Items of these recipients after cursor `since`, oldest first."""
        query = (
            select(inbox)
            .where(
                inbox.c.recipient_code.in_(list(recipient_codes)),
                inbox.c.id > since,
                inbox.c.handed_over_to.is_(None),
            )
            .order_by(inbox.c.id)
            .limit(limit)
        )
        if kind is not None:
            query = query.where(inbox.c.kind == kind.value)
        if unacknowledged_only:
            query = query.where(_unfinished())
        return [_item(row) for row in (await session.execute(query)).all()]

    async def count(
        self, session: AsyncSession, recipient_codes: Sequence[str], *, kind: RecordKind
    ) -> int:
        """How many items of `kind` these recipients have not finished (acknowledged done/fail)."""
        query = select(func.count()).where(
            inbox.c.recipient_code.in_(list(recipient_codes)),
            inbox.c.kind == kind.value,
            inbox.c.handed_over_to.is_(None),
            _unfinished(),
        )
        return int((await session.execute(query)).scalar_one())

    async def unfetched_by_recipient(
        self, session: AsyncSession, recipient_codes: Sequence[str]
    ) -> dict[str, int]:
        """Per recipient code, how many of its items nobody has fetched yet."""
        codes = sorted(set(recipient_codes))
        found: dict[str, int] = {}
        for start in range(0, len(codes), ROWS_PER_STATEMENT):
            query = (
                select(inbox.c.recipient_code, func.count())
                .where(
                    inbox.c.recipient_code.in_(codes[start : start + ROWS_PER_STATEMENT]),
                    inbox.c.fetched_at.is_(None),
                    inbox.c.handed_over_to.is_(None),
                )
                .group_by(inbox.c.recipient_code)
            )
            found.update((code, int(count)) for code, count in await session.execute(query))
        return found

    async def get(
        self, session: AsyncSession, recipient_codes: Sequence[str], message_id: UUID
    ) -> InboxItem:
        """One item of these recipients, by message id."""
        row = (
            await session.execute(
                select(inbox).where(
                    inbox.c.recipient_code.in_(list(recipient_codes)),
                    inbox.c.message_id == str(message_id),
                )
            )
        ).first()
        if row is None:
            raise InboxItemNotFound(
                f"There is no packet {message_id} in the inbox of {', '.join(recipient_codes)}."
            )
        data = row._mapping
        if data["handed_over_to"] is not None:
            raise InboxItemHandedOver(
                f"Packet {message_id} was handed over to {data['handed_over_to']}, the successor "
                f"of the closed code {data['recipient_code']}, on "
                f"{data['handed_over_at']:%Y-%m-%d %H:%M} UTC, before anyone fetched it: the "
                "successor's system fetches it there."
            )
        return _item(row)

    async def mark_fetched(
        self, session: AsyncSession, item: InboxItem, *, at: datetime | None = None
    ) -> bool:
        """Record the first fetch of `item`; False if it had been fetched before."""
        result = await session.execute(
            update(inbox)
            .where(
                inbox.c.id == item.id,
                inbox.c.fetched_at.is_(None),
                inbox.c.handed_over_to.is_(None),
            )
            .values(fetched_at=at or datetime.now(UTC))
        )
        if getattr(result, "rowcount", 0):
            return True
        await self.get(session, [item.recipient_code], item.message_id)  # handed over: raises
        return False

    async def acknowledge(
        self,
        session: AsyncSession,
        item: InboxItem,
        ack: Ack,
        *,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> AckResult:
        """Record the recipient's acknowledgement; a final one cannot be changed."""
        if not changes(item, ack):
            return AckResult(item, changed=False)
        when = at or datetime.now(UTC)
        # The guard on the old value makes two racing acknowledgements safe: one wins.
        result = await session.execute(
            update(inbox)
            .where(inbox.c.id == item.id, _same_ack(item.ack), inbox.c.handed_over_to.is_(None))
            .values(
                ack=ack.value,
                ack_at=when,
                ack_detail=detail,
                fetched_at=item.fetched_at or when,
            )
        )
        if not getattr(result, "rowcount", 0):
            fresh = await self.get(session, [item.recipient_code], item.message_id)
            return await self.acknowledge(session, fresh, ack, detail=detail, at=at)
        fresh = await self.get(session, [item.recipient_code], item.message_id)
        return AckResult(fresh, changed=True)


@dataclass(frozen=True, slots=True)
class HandedOver:
    """An item handed over to `to`, the successor of its closed code, at `at`."""

    item: InboxItem
    to: str
    at: datetime


class Handovers:
    """The inbox's side of a handover (`routing.handover`), inside the caller's transaction."""

    async def codes_with_unfetched(self, session: AsyncSession) -> list[str]:
        """The recipient codes that hold items nobody fetched (nor handed over)."""
        query = (
            select(inbox.c.recipient_code)
            .where(inbox.c.fetched_at.is_(None), inbox.c.handed_over_to.is_(None))
            .distinct()
        )
        return sorted(str(code) for code in (await session.execute(query)).scalars())

    async def unfetched(self, session: AsyncSession, code: str, *, limit: int) -> list[InboxItem]:
        query = (
            select(inbox)
            .where(
                inbox.c.recipient_code == code,
                inbox.c.fetched_at.is_(None),
                inbox.c.handed_over_to.is_(None),
            )
            .order_by(inbox.c.id)
            .limit(limit)
        )
        return [_item(row) for row in (await session.execute(query)).all()]

    async def hand_over(
        self, session: AsyncSession, item: InboxItem, to: str, *, at: datetime
    ) -> bool:
        """Move `item` to `to`'s inbox unless it was fetched (or moved) meanwhile: False then.
        The successor's row is addressed to the code the sender used."""
        claimed = await session.execute(
            update(inbox)
            .where(
                inbox.c.id == item.id,
                inbox.c.fetched_at.is_(None),
                inbox.c.handed_over_to.is_(None),
            )
            .values(handed_over_to=to, handed_over_at=at)
        )
        if not getattr(claimed, "rowcount", 0):
            return False
        arrival = Arrival(
            recipient_code=to, message_id=item.message_id, kind=item.kind,
            sender_code=item.sender_code, document_id=item.document_id,
            packet_sha256=item.packet_sha256, packet_size=item.packet_size,
            addressed_to=item.addressed_to or item.recipient_code,
        )  # fmt: skip
        await session.execute(
            insert_once(session, inbox, "recipient_code", "message_id").values(_row(arrival, at))
        )
        return True

    async def unannounced(self, session: AsyncSession, *, limit: int) -> list[HandedOver]:
        """Handovers whose tracking events are not yet known to be on the bus."""
        query = (
            select(inbox)
            .where(inbox.c.handed_over_to.is_not(None), inbox.c.handover_announced.is_(False))
            .order_by(inbox.c.id)
            .limit(limit)
        )
        return [
            HandedOver(_item(row), row._mapping["handed_over_to"], row._mapping["handed_over_at"])
            for row in (await session.execute(query)).all()
        ]

    async def announced(self, session: AsyncSession, ids: Sequence[int]) -> None:
        if ids:
            await session.execute(
                update(inbox).where(inbox.c.id.in_(list(ids))).values(handover_announced=True)
            )


def changes(item: InboxItem, ack: Ack) -> bool:
    """Would `ack` change `item`? False when it repeats the recorded answer; raises
    `InboxAckConflict` when a different final answer was recorded."""
    if item.ack == ack:
        return False
    if item.ack is not None and item.ack.final:
        raise InboxAckConflict(
            f"Packet {item.message_id} was already acknowledged '{item.ack.value}'; "
            f"it cannot become '{ack.value}'. Send a status packet to report a change."
        )
    return True


def _same_ack(ack: Ack | None) -> ColumnElement[bool]:
    return inbox.c.ack.is_(None) if ack is None else inbox.c.ack == ack.value


def _row(arrival: Arrival, at: datetime) -> dict[str, object]:
    return {
        "recipient_code": arrival.recipient_code,
        "message_id": str(arrival.message_id),
        "kind": arrival.kind.value,
        "sender_code": arrival.sender_code,
        "document_id": arrival.document_id,
        "addressed_to": arrival.addressed_to,
        "packet_sha256": arrival.packet_sha256,
        "packet_size": arrival.packet_size,
        "received_at": at,
    }


def _unfinished() -> ColumnElement[bool]:
    return inbox.c.ack.is_(None) | (inbox.c.ack == Ack.PROCESSING.value)


def _item(row: Row[tuple[object, ...]]) -> InboxItem:
    data = row._mapping
    return InboxItem(
        id=int(data["id"]),
        recipient_code=data["recipient_code"],
        message_id=UUID(data["message_id"]),
        kind=RecordKind(data["kind"]),
        sender_code=data["sender_code"],
        document_id=data["document_id"],
        addressed_to=data["addressed_to"],
        packet_sha256=data["packet_sha256"],
        packet_size=int(data["packet_size"]),
        received_at=data["received_at"],
        fetched_at=data["fetched_at"],
        ack=Ack(data["ack"]) if data["ack"] else None,
        ack_at=data["ack_at"],
        ack_detail=data["ack_detail"],
    )
