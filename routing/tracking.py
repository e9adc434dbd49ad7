"""Where every document is: messages, one delivery per (message, recipient), and a timeline.

Tracking events travel on the tracking topic (keyed by message id, so one message's events stay
in order on one partition) and the tracker consumer applies them here. Applying is idempotent
twice over:
- each event carries its Kafka position (`source`), stored with a unique constraint, so an event
  Kafka hands over twice is recorded once;
- each event is one *fact* with a natural key (`fact_key`: message, recipient, kind, and the
  attempt or the status packet it comes from), also unique, so a step that is redone and
  produces its event again (a submission finished after a crash, a delivery batch repeated)
  records nothing new: the timeline, and the evidence log that follows it, say each fact once.
Every fact lands in the timeline; only the ones the forward-only rules accept move the delivery
(`routing.lifecycle` for the delivery phase, `envelopes.status_rules` for the recipient's status
packets), so a late or repeated event shows in the timeline without moving anything back.

A status never creates a delivery: it moves the delivery of a code the message was routed to
(the submission service checks the status's sender against them), and a status event about a
delivery that does not exist is dropped. Who may see a message follows from its deliveries, so
no status can make its sender a reader of someone else's document.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from envelopes.codes import StatusCode
from envelopes.records import RecordKind, TrackingEvent, TrackingEventType
from envelopes.status_rules import DeliveryState, Outcome, decide
from routing.lifecycle import Phase, Step, advance
from routing.sql import ROWS_PER_STATEMENT, UtcDateTime, insert_rows, metadata

# The values tracking records, kept in a module without SQL so that the pure acceptance decision
# (`routing.acceptance`) builds them without importing the database; exported here as before.
from routing.tracked import MessageInfo as MessageInfo
from routing.tracked import NewDelivery

messages = Table(
    "tracked_messages",
    metadata,
    Column("message_id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("sender_code", String(64), nullable=False),
    Column("document_id", String(200), nullable=False),
    Column("packet_sha256", String(64), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("business_type", String(4), nullable=True),
    Column("answers_message_id", String(36), nullable=True),
    Column("status_code", String(4), nullable=True),
    Column("subject", String(1000), nullable=True),
    Column("notation", String(200), nullable=True),
    Index(None, "document_id"),
    Index(None, "sender_code", "submitted_at"),
)

deliveries = Table(
    "tracked_deliveries",
    metadata,
    Column("message_id", String(36), nullable=False),
    Column("recipient_code", String(64), nullable=False),
    Column("addressed_to", String(64), nullable=True),
    Column("phase", String(16), nullable=False),
    Column("status_progress", String(4), nullable=True),
    Column("status_change", String(4), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("last_error", String(1000), nullable=True),
    PrimaryKeyConstraint("message_id", "recipient_code"),
    Index(None, "recipient_code", "phase"),
    Index(None, "phase", "updated_at"),
)

timeline = Table(
    "tracking_timeline",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("message_id", String(36), nullable=False),
    Column("recipient_code", String(64), nullable=False),
    Column("event", String(32), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("node_id", String(200), nullable=False),
    Column("status_code", String(4), nullable=True),
    Column("detail", String(2000), nullable=True),
    Column("effect", String(32), nullable=False),
    Column("source", String(300), nullable=True),
    Column("fact_key", String(64), nullable=True),
    UniqueConstraint("source"),
    UniqueConstraint("fact_key"),
    Index(None, "message_id", "recipient_code", "id"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeliveryView:
    message_id: UUID
    recipient_code: str
    addressed_to: str | None
    phase: Phase
    status: DeliveryState
    attempts: int
    created_at: datetime
    updated_at: datetime
    last_error: str | None

    @property
    def last_status(self) -> StatusCode | None:
        return self.status.progress

    @property
    def routed(self) -> bool:
        """Whether the message was routed to this recipient: every delivery but one refused
        at submission (failed before any attempt: an unknown or closed code)."""
        return not (self.phase is Phase.FAILED and self.attempts == 0)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    recipient_code: str
    event: TrackingEventType
    at: datetime
    attempt: int
    node_id: str
    status_code: StatusCode | None
    detail: str | None
    effect: str


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one event did: nothing at all (seen before), or recorded it and moved or
    did not move the delivery (`effect`, as `routing.lifecycle.Effect` or a status outcome)."""

    recorded: bool
    effect: str
    delivery: DeliveryView | None


class TrackingStore:
    """Writes and queries the tracking tables inside the caller's session and transaction."""

    async def record_message(self, session: AsyncSession, info: MessageInfo) -> None:
        """Record an accepted message (nothing when it was recorded before: a re-submission)."""
        await self.record_messages(session, [info])

    async def record_messages(self, session: AsyncSession, infos: Sequence[MessageInfo]) -> None:
        """Record accepted messages, in bulk (those recorded before are left as they are)."""
        rows = [
            {
                "message_id": str(info.message_id),
                "kind": info.kind.value,
                "sender_code": info.sender_code,
                "document_id": info.document_id,
                "packet_sha256": info.packet_sha256,
                "submitted_at": info.submitted_at,
                "business_type": info.business_type,
                "answers_message_id": (
                    str(info.answers_message_id) if info.answers_message_id else None
                ),
                "status_code": info.status_code.value if info.status_code else None,
                "subject": info.subject[:1000] if info.subject else None,
                "notation": info.notation[:200] if info.notation else None,
            }
            for info in infos
        ]
        await insert_rows(session, messages, rows, "message_id")

    async def record_delivery(
        self,
        session: AsyncSession,
        message_id: UUID,
        recipient_code: str,
        *,
        at: datetime,
        addressed_to: str | None = None,
        phase: Phase = Phase.QUEUED,
        error: str | None = None,
    ) -> None:
        """Record a delivery the submission service created (routed, redirected from
        `addressed_to`, or refused with `error`); nothing when it was recorded before."""
        created = NewDelivery(message_id, recipient_code, at, addressed_to, phase, error)
        await self.record_deliveries(session, [created])

    async def record_deliveries(
        self, session: AsyncSession, created: Sequence[NewDelivery]
    ) -> None:
        """Record the deliveries of accepted messages, in bulk (those recorded before are left
        as they are)."""
        rows = [
            {
                "message_id": str(d.message_id),
                "recipient_code": d.recipient_code,
                "addressed_to": d.addressed_to,
                "phase": d.phase.value,
                "attempts": 0,
                "created_at": d.at,
                "updated_at": d.at,
                "last_error": d.error,
            }
            for d in created
        ]
        await insert_rows(session, deliveries, rows, "message_id", "recipient_code")

    async def apply(
        self, session: AsyncSession, event: TrackingEvent, *, source: str | None = None
    ) -> Applied:
        """Record `event` in the timeline and move its delivery as far as the rules allow."""
        (applied,) = await self.apply_many(session, [(event, source)])
        return applied

    async def apply_many(
        self, session: AsyncSession, events: Sequence[tuple[TrackingEvent, str | None]]
    ) -> list[Applied]:
        """Apply `events` (each with its Kafka position, `source`) in order, as `apply` would one
        by one, in a few multi-row statements: read the deliveries and the facts already
        recorded, decide in memory (`decide_events`), write the timeline rows, the new and the
        moved deliveries."""
        if not events:
            return []
        message_ids = sorted({str(e.message_id) for e, _ in events})
        current: dict[tuple[str, str], DeliveryView] = {}
        for chunk in _chunks(message_ids):
            rows = await session.execute(
                select(deliveries).where(deliveries.c.message_id.in_(chunk))
            )
            for row in rows:
                view = _delivery(row._mapping)
                current[(str(view.message_id), view.recipient_code)] = view
        facts = [key for e, _ in events if (key := fact_key(e)) is not None]
        sources = [s for _, s in events if s is not None]
        seen: set[str] = set()
        for column, values in ((timeline.c.fact_key, facts), (timeline.c.source, sources)):
            for chunk in _chunks(sorted(set(values))):
                found = await session.execute(select(column).where(column.in_(chunk)))
                seen.update(str(v) for v in found.scalars())
        decided = decide_events(current, seen, events)
        await insert_rows(session, timeline, decided.timeline)
        await insert_rows(
            session, deliveries, [_delivery_row(v) for v in decided.created],
            "message_id", "recipient_code",
        )  # fmt: skip
        if decided.moved:
            await session.execute(
                update(deliveries)
                .where(
                    deliveries.c.message_id == bindparam("key_message_id"),
                    deliveries.c.recipient_code == bindparam("key_recipient_code"),
                )
                .values({name: bindparam(name) for name in _MOVED_COLUMNS}),
                [_moved_row(v) for v in decided.moved],
            )
        return decided.applied

    async def message(self, session: AsyncSession, message_id: UUID) -> MessageInfo | None:
        row = (
            await session.execute(select(messages).where(messages.c.message_id == str(message_id)))
        ).first()
        return _message(row._mapping) if row is not None else None

    async def messages(
        self, session: AsyncSession, message_ids: set[UUID]
    ) -> dict[UUID, MessageInfo]:
        """The messages of `message_ids` that exist, in one statement per 500."""
        found: dict[UUID, MessageInfo] = {}
        for chunk in _chunks(sorted(str(m) for m in message_ids)):
            rows = await session.execute(select(messages).where(messages.c.message_id.in_(chunk)))
            for row in rows:
                info = _message(row._mapping)
                found[info.message_id] = info
        return found

    async def messages_by_document(
        self, session: AsyncSession, document_id: str, *, sender_code: str | None = None
    ) -> list[MessageInfo]:
        query = select(messages).where(messages.c.document_id == document_id)
        if sender_code is not None:
            query = query.where(messages.c.sender_code == sender_code)
        rows = await session.execute(query.order_by(messages.c.submitted_at))
        return [_message(row._mapping) for row in rows]

    async def sent(
        self,
        session: AsyncSession,
        sender_codes: Sequence[str],
        *,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[MessageInfo]:
        """Messages these senders submitted, newest first."""
        query = select(messages).where(messages.c.sender_code.in_(list(sender_codes)))
        if since is not None:
            query = query.where(messages.c.submitted_at >= since)
        rows = await session.execute(query.order_by(messages.c.submitted_at.desc()).limit(limit))
        return [_message(row._mapping) for row in rows]

    async def delivery(
        self, session: AsyncSession, message_id: UUID, recipient_code: str
    ) -> DeliveryView | None:
        row = (
            await session.execute(
                select(deliveries).where(
                    deliveries.c.message_id == str(message_id),
                    deliveries.c.recipient_code == recipient_code,
                )
            )
        ).first()
        return _delivery(row._mapping) if row is not None else None

    async def deliveries_of(self, session: AsyncSession, message_id: UUID) -> list[DeliveryView]:
        rows = await session.execute(
            select(deliveries)
            .where(deliveries.c.message_id == str(message_id))
            .order_by(deliveries.c.recipient_code)
        )
        return [_delivery(row._mapping) for row in rows]

    async def deliveries_of_many(
        self, session: AsyncSession, message_ids: Sequence[UUID]
    ) -> dict[UUID, list[DeliveryView]]:
        """The deliveries of each of `message_ids` (by recipient code), in one statement per
        500 messages instead of one per message."""
        found: dict[UUID, list[DeliveryView]] = {m: [] for m in message_ids}
        for chunk in _chunks(sorted({str(m) for m in message_ids})):
            rows = await session.execute(
                select(deliveries)
                .where(deliveries.c.message_id.in_(chunk))
                .order_by(deliveries.c.message_id, deliveries.c.recipient_code)
            )
            for row in rows:
                delivery = _delivery(row._mapping)
                found[delivery.message_id].append(delivery)
        return found

    async def first_fetches(
        self, session: AsyncSession, message_ids: Sequence[UUID]
    ) -> dict[tuple[UUID, str], datetime]:
        """When each (message, recipient) was first fetched, for `message_ids`."""
        found: dict[tuple[UUID, str], datetime] = {}
        fetched = TrackingEventType.FETCHED.value
        for chunk in _chunks(sorted({str(m) for m in message_ids})):
            rows = await session.execute(
                select(timeline.c.message_id, timeline.c.recipient_code, timeline.c.at)
                .where(timeline.c.message_id.in_(chunk), timeline.c.event == fetched)
                .order_by(timeline.c.at, timeline.c.id)
            )
            for row in rows:
                found.setdefault((UUID(row.message_id), row.recipient_code), row.at)
        return found

    async def find_deliveries(
        self,
        session: AsyncSession,
        *,
        recipient_code: str | None = None,
        phases: Sequence[Phase] = (),
        limit: int = 100,
    ) -> list[DeliveryView]:
        """Deliveries by recipient and phase, the longest unchanged first (stuck deliveries, as
        clerks and `axis stuck` see them: `axis.services.delivery_reports`)."""
        query = select(deliveries)
        if recipient_code is not None:
            query = query.where(deliveries.c.recipient_code == recipient_code)
        if phases:
            query = query.where(deliveries.c.phase.in_([p.value for p in phases]))
        query = query.order_by(deliveries.c.updated_at).limit(limit)
        return [_delivery(row._mapping) for row in await session.execute(query)]

    async def phases_by_recipient(
        self, session: AsyncSession, codes: Sequence[str]
    ) -> dict[str, Counter[Phase]]:
        """Per recipient code of `codes`, how many of its deliveries are in each phase."""
        found: dict[str, Counter[Phase]] = {}
        for chunk in _chunks(sorted(set(codes))):
            query = (
                select(deliveries.c.recipient_code, deliveries.c.phase, func.count())
                .where(deliveries.c.recipient_code.in_(chunk))
                .group_by(deliveries.c.recipient_code, deliveries.c.phase)
            )
            for code, phase, count in await session.execute(query):
                found.setdefault(code, Counter())[Phase(phase)] = int(count)
        return found

    async def timeline(
        self, session: AsyncSession, message_id: UUID, recipient_code: str | None = None
    ) -> list[TimelineEntry]:
        query = select(timeline).where(timeline.c.message_id == str(message_id))
        if recipient_code is not None:
            query = query.where(timeline.c.recipient_code == recipient_code)
        rows = await session.execute(query.order_by(timeline.c.at, timeline.c.id))
        return [_entry(row._mapping) for row in rows]


_ONCE_PER_DELIVERY = frozenset(
    {
        TrackingEventType.ACCEPTED,
        TrackingEventType.ROUTED,
        TrackingEventType.REDIRECTED,
        TrackingEventType.REJECTED,
        TrackingEventType.FETCHED,
        TrackingEventType.ACKNOWLEDGED,
    }
)
"""Facts that happen at most once to a delivery (`accepted`: once to a message)."""


def fact_key(event: TrackingEvent) -> str | None:
    """The natural key of the fact `event` records (a SHA-256, hex), or None when it has none
    (then only its Kafka position keeps it from being recorded twice).

    Message, recipient and kind, then: nothing more for the facts that happen once; the
    producer's `fact` when it names one (the status packet a status comes from); otherwise the
    attempt, since deliveries, retries, failures, dead letters and replays happen once per
    attempt (a replay starts a new attempt).
    """
    kind = event.event
    if kind is TrackingEventType.UNKNOWN:
        return None
    parts = [str(event.message_id), event.recipient_code, kind.value]
    if event.fact:
        parts.append(f"fact={event.fact}")
    elif kind is TrackingEventType.STATUS:
        return None
    elif kind not in _ONCE_PER_DELIVERY:
        parts.append(f"attempt={event.attempt}")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


_ATTEMPT_OUTCOMES = frozenset(
    {
        TrackingEventType.DELIVERED,
        TrackingEventType.RETRY_SCHEDULED,
        TrackingEventType.FAILED,
        TrackingEventType.DEAD_LETTERED,
    }
)
"""Events that report how a call went, so a delivery's `attempts` counts the calls actually
made (a call held back by an endpoint's circuit breaker is not one)."""

_ERROR_EVENTS = frozenset(
    {
        TrackingEventType.RETRY_SCHEDULED,
        TrackingEventType.FAILED,
        TrackingEventType.REJECTED,
        TrackingEventType.DEAD_LETTERED,
        TrackingEventType.HELD_BACK,
    }
)


@dataclass(frozen=True, slots=True)
class DecidedEvents:
    """What a batch of tracking events does, decided without I/O (`decide_events`)."""

    applied: list[Applied]
    timeline: list[dict[str, object]]
    """The timeline rows to insert, one per event recorded."""
    created: list[DeliveryView]
    """Deliveries that did not exist (an event about a delivery never recorded)."""
    moved: list[DeliveryView]
    """Existing deliveries in their new state, each once."""


def decide_events(
    current: Mapping[tuple[str, str], DeliveryView],
    seen: set[str],
    events: Sequence[tuple[TrackingEvent, str | None]],
) -> DecidedEvents:
    """Apply `events` in order to the deliveries `current` (keyed by message id and recipient),
    skipping every event whose fact key or Kafka position is in `seen` (recorded before, or
    earlier in the batch)."""
    state = dict(current)
    seen = set(seen)
    applied: list[Applied] = []
    rows: list[dict[str, object]] = []
    created: dict[tuple[str, str], DeliveryView] = {}
    moved: dict[tuple[str, str], DeliveryView] = {}
    for event, source in events:
        key = (str(event.message_id), event.recipient_code)
        accepted = event.event is TrackingEventType.ACCEPTED  # about the message
        delivery = None if accepted else state.get(key)
        if delivery is None and event.event is TrackingEventType.STATUS:
            applied.append(Applied(recorded=False, effect="no_delivery", delivery=None))
            continue
        fact = fact_key(event)
        if (fact is not None and fact in seen) or (source is not None and source in seen):
            applied.append(Applied(recorded=False, effect="seen_before", delivery=delivery))
            continue
        seen.update(k for k in (fact, source) if k is not None)
        effect, change = ("recorded", (None, None)) if accepted else _effect(delivery, event)
        rows.append(_timeline_row(event, effect, source, fact))
        if accepted:
            applied.append(Applied(recorded=True, effect=effect, delivery=None))
            continue
        after = _moved(delivery, event, change)
        if after is not delivery:
            state[key] = after
            if key in created or delivery is None:
                created[key] = after
            else:
                moved[key] = after
        applied.append(Applied(recorded=True, effect=effect, delivery=after))
    return DecidedEvents(applied, rows, list(created.values()), list(moved.values()))


def _moved(
    current: DeliveryView | None,
    event: TrackingEvent,
    change: tuple[Phase | None, DeliveryState | None],
) -> DeliveryView:
    """The delivery after `event` (`current` itself when nothing changes)."""
    phase, status = change
    error = event.detail[:1000] if event.event in _ERROR_EVENTS and event.detail else None
    attempt = event.event in _ATTEMPT_OUTCOMES
    if current is None:  # a delivery opened by a re-routing in flight, or never routed here
        return DeliveryView(
            message_id=event.message_id, recipient_code=event.recipient_code,
            addressed_to=event.addressed_to,
            phase=phase or Phase.QUEUED, status=status or DeliveryState(),
            attempts=event.attempt if attempt else 0, created_at=event.at, updated_at=event.at,
            last_error=error,
        )  # fmt: skip
    if not (attempt or phase is not None or status is not None or error is not None):
        return current
    return dataclasses.replace(
        current,
        attempts=max(current.attempts, event.attempt) if attempt else current.attempts,
        phase=phase if phase is not None else current.phase,
        status=status if status is not None else current.status,
        updated_at=(
            max(current.updated_at, event.at)
            if phase is not None or status is not None
            else current.updated_at
        ),
        last_error=error if error is not None else current.last_error,
    )


def _timeline_row(
    event: TrackingEvent, effect: str, source: str | None, fact: str | None
) -> dict[str, object]:
    return {
        "message_id": str(event.message_id),
        "recipient_code": event.recipient_code,
        "event": event.event.value,
        "at": event.at,
        "attempt": event.attempt,
        "node_id": event.node_id,
        "status_code": event.status_code.value if event.status_code else None,
        "detail": (event.detail or "")[:2000] or None,
        "effect": effect,
        "source": source,
        "fact_key": fact,
    }


_MOVED_COLUMNS = (
    "phase", "status_progress", "status_change", "attempts", "updated_at", "last_error",
)  # fmt: skip


def _delivery_row(view: DeliveryView) -> dict[str, object]:
    return {
        "message_id": str(view.message_id),
        "recipient_code": view.recipient_code,
        "addressed_to": view.addressed_to,
        "phase": view.phase.value,
        "status_progress": _code(view.status.progress),
        "status_change": _code(view.status.change),
        "attempts": view.attempts,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "last_error": view.last_error,
    }


def _moved_row(view: DeliveryView) -> dict[str, object]:
    row = _delivery_row(view)
    return {
        "key_message_id": row["message_id"],
        "key_recipient_code": row["recipient_code"],
        **{name: row[name] for name in _MOVED_COLUMNS},
    }


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + ROWS_PER_STATEMENT] for i in range(0, len(values), ROWS_PER_STATEMENT)]


def _effect(
    current: DeliveryView | None, event: TrackingEvent
) -> tuple[str, tuple[Phase | None, DeliveryState | None]]:
    """What `event` does to the delivery: its effect's name, and the new phase and status
    (None where unchanged)."""
    if event.event is TrackingEventType.STATUS and event.status_code is not None:
        transition = decide(current.status if current else None, event.status_code)
        if transition.outcome is Outcome.ADVANCED:
            return transition.outcome.value, (None, transition.state)
        return transition.outcome.value, (None, None)
    step: Step = advance(current.phase if current else None, event.event)
    return step.effect.value, (step.phase if step.moved else None, None)


def _code(status: StatusCode | None) -> str | None:
    return status.value if status is not None else None


def _status(value: str | None) -> StatusCode | None:
    return StatusCode(value) if value else None


def _message(data: RowMapping) -> MessageInfo:
    return MessageInfo(
        message_id=UUID(data["message_id"]),
        kind=RecordKind(data["kind"]),
        sender_code=data["sender_code"],
        document_id=data["document_id"],
        packet_sha256=data["packet_sha256"],
        submitted_at=data["submitted_at"],
        business_type=data["business_type"],
        answers_message_id=UUID(data["answers_message_id"]) if data["answers_message_id"] else None,
        status_code=_status(data["status_code"]),
        subject=data["subject"],
        notation=data["notation"],
    )


def _delivery(data: RowMapping) -> DeliveryView:
    return DeliveryView(
        message_id=UUID(data["message_id"]),
        recipient_code=data["recipient_code"],
        addressed_to=data["addressed_to"],
        phase=Phase(data["phase"]),
        status=DeliveryState(_status(data["status_progress"]), _status(data["status_change"])),
        attempts=int(data["attempts"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        last_error=data["last_error"],
    )


def _entry(data: RowMapping) -> TimelineEntry:
    return TimelineEntry(
        recipient_code=data["recipient_code"],
        event=TrackingEventType(data["event"]),
        at=data["at"],
        attempt=int(data["attempt"]),
        node_id=data["node_id"],
        status_code=_status(data["status_code"]),
        detail=data["detail"],
        effect=data["effect"],
    )
