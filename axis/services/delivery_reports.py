"""What the clerks' dashboard asks of the tracking tables: searches, stuck and failed
deliveries, and per-agency figures for a period.

Plain SQLAlchemy Core over `routing.tracking`'s tables, the same on SQLite and PostgreSQL: the
median is computed in Python (SQLite has no percentile function), and the case-insensitive
subject search folds case with Python's own `str.lower` on SQLite (whose `lower()` only knows
ASCII, while subjects are Vietnamese).

Every query takes `codes`: the organization codes the reader acts for, or None for an operator
(everything). A message is visible to a code that sent it or receives it; of a message a code
only receives, only that code's deliveries are visible (the same rule as `visible_part` of the
`/v1/tracking` API).
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from envelopes.codes import StatusCode
from envelopes.records import RecordKind, TrackingEventType
from routing.lifecycle import TERMINAL, Phase
from routing.tracking import deliveries, messages, timeline

Codes = Collection[str] | None
"""The codes a reader acts for; None: an operator, who sees everything."""

DELIVERED = frozenset({Phase.DELIVERED, Phase.FETCHED, Phase.ACKNOWLEDGED})
"""Phases of a delivery that reached the recipient's inbox."""
PENDING = frozenset({Phase.QUEUED, Phase.RETRYING})
"""Phases of a delivery still on its way."""
FAILED = frozenset({Phase.FAILED, Phase.DEAD})
"""Phases of a delivery that ended without reaching the recipient."""
FINISHING = (StatusCode.FINISHED.value, StatusCode.REJECTED.value)
"""Statuses after which the recipient has nothing left to do (a delivery is no longer stuck)."""

_FOLD = "axis_lower"
"""The SQLite function folding case like Python (registered per connection when needed)."""


@dataclass(frozen=True, slots=True)
class Search:
    """A search's criteria; empty ones do not filter."""

    document_id: str = ""
    """Exact, or a prefix of the DocumentId (`000.00.00.G22,2025/07/02,`)."""
    subject: str = ""
    """Contained in the subject, whatever the case."""
    sender: str = ""
    recipient: str = ""
    """A recipient's code, or the code a redirected delivery was addressed to."""
    kind: RecordKind | None = RecordKind.DOCUMENT

    @property
    def empty(self) -> bool:
        return not (self.document_id or self.subject or self.sender or self.recipient)


@dataclass(frozen=True, slots=True)
class RecipientSummary:
    recipient_code: str
    addressed_to: str | None
    phase: Phase
    status: StatusCode | None


@dataclass(frozen=True, slots=True)
class MessageSummary:
    message_id: str
    kind: RecordKind
    sender_code: str
    document_id: str
    subject: str | None
    notation: str | None
    submitted_at: datetime
    recipients: tuple[RecipientSummary, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: list[MessageSummary]
    page: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A delivery with what a clerk needs to recognize its message."""

    message_id: str
    kind: RecordKind
    sender_code: str
    document_id: str
    subject: str | None
    submitted_at: datetime
    recipient_code: str
    addressed_to: str | None
    phase: Phase
    status: StatusCode | None
    attempts: int
    updated_at: datetime
    last_error: str | None


@dataclass(slots=True)
class AgencyFigures:
    """One agency's figures for a period (documents submitted in it).

    As a sender: its documents, and their deliveries by where they stand, with the median time
    from submission to each recipient's first status 03 (accepted). As a recipient: the
    documents addressed to it and the median time it took to answer 03.
    """

    code: str
    sent: int = 0
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    median_minutes_to_accepted: float | None = None
    received: int = 0
    median_minutes_to_accept: float | None = None


async def search_messages(
    session: AsyncSession, search: Search, codes: Codes, *, page: int = 1, per_page: int = 25
) -> SearchPage:
    """Messages matching `search` that the reader may see, newest first, one page."""
    page = max(page, 1)
    query = select(messages).where(_message_visible(codes))
    if search.kind is not None:
        query = query.where(messages.c.kind == search.kind.value)
    if search.document_id:
        query = query.where(messages.c.document_id.startswith(search.document_id, autoescape=True))
    if search.subject:
        fold = await _case_fold(session)
        query = query.where(
            fold(messages.c.subject).contains(search.subject.lower(), autoescape=True)
        )
    if search.sender:
        query = query.where(messages.c.sender_code == search.sender)
    if search.recipient:
        query = query.where(
            exists().where(
                deliveries.c.message_id == messages.c.message_id,
                or_(
                    deliveries.c.recipient_code == search.recipient,
                    deliveries.c.addressed_to == search.recipient,
                ),
            )
        )
    query = (
        query.order_by(messages.c.submitted_at.desc(), messages.c.message_id)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    rows = [row._mapping for row in await session.execute(query)]
    found = [_summary(row) for row in rows[:per_page]]
    recipients = await _recipients(session, found, codes)
    items = [replace(m, recipients=tuple(recipients.get(m.message_id, ()))) for m in found]
    return SearchPage(items=items, page=page, has_more=len(rows) > per_page)


async def stuck_deliveries(
    session: AsyncSession,
    codes: Codes,
    *,
    older_than: timedelta,
    now: datetime,
    recipient: str = "",
    limit: int = 200,
) -> list[DeliveryRow]:
    """Unfinished deliveries without progress for `older_than`, the longest waiting first.

    Unfinished: not ended (acknowledged, failed, dead) and not finished by the recipient's
    status 06 or 02. The dashboard and `axis stuck` both ask here.
    """
    query = _delivery_rows(codes).where(
        deliveries.c.updated_at < now - older_than,
        deliveries.c.phase.not_in([p.value for p in TERMINAL]),
        or_(
            deliveries.c.status_progress.is_(None),
            deliveries.c.status_progress.not_in(FINISHING),
        ),
    )
    if recipient:
        query = query.where(deliveries.c.recipient_code == recipient)
    query = query.order_by(deliveries.c.updated_at, deliveries.c.message_id).limit(limit)
    return [_delivery(row._mapping) for row in await session.execute(query)]


async def failed_deliveries(
    session: AsyncSession,
    codes: Codes,
    *,
    since: datetime,
    until: datetime,
    recipient: str = "",
    limit: int = 200,
) -> list[DeliveryRow]:
    """Deliveries that ended failed or dead with their last change in [since, until), newest
    first."""
    query = _delivery_rows(codes).where(
        deliveries.c.phase.in_([p.value for p in FAILED]),
        deliveries.c.updated_at >= since,
        deliveries.c.updated_at < until,
    )
    if recipient:
        query = query.where(deliveries.c.recipient_code == recipient)
    query = query.order_by(deliveries.c.updated_at.desc(), deliveries.c.message_id).limit(limit)
    return [_delivery(row._mapping) for row in await session.execute(query)]


async def agency_figures(
    session: AsyncSession, codes: Codes, *, since: datetime, until: datetime
) -> list[AgencyFigures]:
    """Per agency, for the documents submitted in [since, until): see `AgencyFigures`. A
    reader with codes gets its codes' rows only (even when they are all zero)."""
    in_period = and_(
        messages.c.kind == RecordKind.DOCUMENT.value,
        messages.c.submitted_at >= since,
        messages.c.submitted_at < until,
    )
    tally = _Tally(codes)
    sent = select(messages.c.sender_code, func.count().label("n")).where(in_period)
    if codes is not None:
        sent = sent.where(messages.c.sender_code.in_(list(codes)))
    for sender, count in await session.execute(sent.group_by(messages.c.sender_code)):
        if (agency := tally.row(sender)) is not None:
            agency.sent = int(count)
    for data in await session.execute(_deliveries_in_period(in_period, codes)):
        tally.add(data._mapping)
    return tally.figures()


class DeliveryReports:
    """The queries above, each in its own session: what the dashboard calls."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def search(self, search: Search, codes: Codes, *, page: int, per_page: int) -> SearchPage:
        async with self._sessions() as session:
            return await search_messages(session, search, codes, page=page, per_page=per_page)

    async def stuck(
        self,
        codes: Codes,
        *,
        older_than: timedelta,
        now: datetime,
        recipient: str = "",
        limit: int = 200,
    ) -> list[DeliveryRow]:
        async with self._sessions() as session:
            return await stuck_deliveries(
                session, codes, older_than=older_than, now=now, recipient=recipient, limit=limit
            )

    async def failed(
        self, codes: Codes, *, since: datetime, until: datetime, recipient: str = ""
    ) -> list[DeliveryRow]:
        async with self._sessions() as session:
            return await failed_deliveries(
                session, codes, since=since, until=until, recipient=recipient
            )

    async def figures(
        self, codes: Codes, *, since: datetime, until: datetime
    ) -> list[AgencyFigures]:
        async with self._sessions() as session:
            return await agency_figures(session, codes, since=since, until=until)


class _Tally:
    """Figures being counted, with the waits their medians are taken from."""

    def __init__(self, codes: Codes) -> None:
        self._codes = codes
        self._rows: dict[str, AgencyFigures] = {}
        self._sent_waits: dict[str, list[float]] = {}
        self._received_waits: dict[str, list[float]] = {}
        for code in codes or ():
            self.row(code)

    def row(self, code: str) -> AgencyFigures | None:
        """`code`'s figures, or None when the reader may not see them."""
        if self._codes is not None and code not in self._codes:
            return None
        return self._rows.setdefault(code, AgencyFigures(code))

    def add(self, data: RowMapping) -> None:
        """One delivery, counted for its sender and for its recipient."""
        phase = Phase(data["phase"])
        accepted_at: datetime | None = data["accepted_at"]
        wait = None
        if accepted_at is not None:
            wait = max((accepted_at - data["submitted_at"]).total_seconds() / 60, 0.0)
        if (sender := self.row(data["sender_code"])) is not None:
            sender.delivered += phase in DELIVERED
            sender.pending += phase in PENDING
            sender.failed += phase in FAILED
            if wait is not None:
                self._sent_waits.setdefault(sender.code, []).append(wait)
        if (recipient := self.row(data["recipient_code"])) is not None:
            recipient.received += 1
            if wait is not None:
                self._received_waits.setdefault(recipient.code, []).append(wait)

    def figures(self) -> list[AgencyFigures]:
        for code, agency in self._rows.items():
            agency.median_minutes_to_accepted = _median(self._sent_waits.get(code, []))
            agency.median_minutes_to_accept = _median(self._received_waits.get(code, []))
        return sorted(self._rows.values(), key=lambda a: a.code)


def _deliveries_in_period(in_period: ColumnElement[bool], codes: Codes) -> Select[Any]:
    """Every delivery of the period's documents, with the time of its first status 03."""
    accepted = (
        select(
            timeline.c.message_id,
            timeline.c.recipient_code,
            func.min(timeline.c.at).label("accepted_at"),
        )
        .where(
            timeline.c.event == TrackingEventType.STATUS.value,
            timeline.c.status_code == StatusCode.ACCEPTED.value,
        )
        .group_by(timeline.c.message_id, timeline.c.recipient_code)
        .subquery()
    )
    query = (
        select(
            messages.c.sender_code,
            messages.c.submitted_at,
            deliveries.c.recipient_code,
            deliveries.c.phase,
            accepted.c.accepted_at,
        )
        .select_from(
            messages.join(deliveries, deliveries.c.message_id == messages.c.message_id).outerjoin(
                accepted,
                and_(
                    accepted.c.message_id == deliveries.c.message_id,
                    accepted.c.recipient_code == deliveries.c.recipient_code,
                ),
            )
        )
        .where(in_period)
    )
    if codes is not None:
        query = query.where(
            or_(
                messages.c.sender_code.in_(list(codes)),
                deliveries.c.recipient_code.in_(list(codes)),
            )
        )
    return query


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _message_visible(codes: Codes) -> ColumnElement[bool]:
    if codes is None:
        return messages.c.message_id.is_not(None)
    if not codes:
        return false()
    return or_(
        messages.c.sender_code.in_(list(codes)),
        exists().where(
            deliveries.c.message_id == messages.c.message_id,
            deliveries.c.recipient_code.in_(list(codes)),
        ),
    )


def _delivery_visible(codes: Codes) -> ColumnElement[bool]:
    if codes is None:
        return deliveries.c.message_id.is_not(None)
    if not codes:
        return false()
    return or_(
        messages.c.sender_code.in_(list(codes)), deliveries.c.recipient_code.in_(list(codes))
    )


def _delivery_rows(codes: Codes) -> Select[Any]:
    return (
        select(
            deliveries,
            messages.c.kind,
            messages.c.sender_code,
            messages.c.document_id,
            messages.c.subject,
            messages.c.submitted_at,
        )
        .select_from(deliveries.join(messages, messages.c.message_id == deliveries.c.message_id))
        .where(_delivery_visible(codes))
    )


async def _recipients(
    session: AsyncSession, found: Sequence[MessageSummary], codes: Codes
) -> dict[str, list[RecipientSummary]]:
    """The visible recipients of each message found: all of them for its sender."""
    if not found:
        return {}
    query = (
        select(deliveries)
        .where(deliveries.c.message_id.in_([m.message_id for m in found]))
        .order_by(deliveries.c.message_id, deliveries.c.recipient_code)
    )
    senders = {m.message_id: m.sender_code for m in found}
    out: dict[str, list[RecipientSummary]] = {}
    for row in await session.execute(query):
        data = row._mapping
        message_id = data["message_id"]
        if not _sees(codes, senders[message_id], data["recipient_code"]):
            continue
        out.setdefault(message_id, []).append(
            RecipientSummary(
                recipient_code=data["recipient_code"],
                addressed_to=data["addressed_to"],
                phase=Phase(data["phase"]),
                status=_status(data["status_progress"]),
            )
        )
    return out


def _sees(codes: Codes, sender: str, recipient: str) -> bool:
    """Whether a reader sees a delivery: the sender's readers see all of its deliveries."""
    return codes is None or sender in codes or recipient in codes


async def _case_fold(session: AsyncSession) -> Any:
    """`lower()` as SQL, Unicode-aware on both databases."""
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return func.lower

    def register(sync: Connection) -> None:
        raw: Any = sync.connection.dbapi_connection
        raw.create_function(_FOLD, 1, _lower, deterministic=True)

    await connection.run_sync(register)
    return getattr(func, _FOLD)


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def _status(value: str | None) -> StatusCode | None:
    return StatusCode(value) if value else None


def _summary(data: RowMapping) -> MessageSummary:
    return MessageSummary(
        message_id=data["message_id"],
        kind=RecordKind(data["kind"]),
        sender_code=data["sender_code"],
        document_id=data["document_id"],
        subject=data["subject"],
        notation=data["notation"],
        submitted_at=data["submitted_at"],
    )


def _delivery(data: RowMapping) -> DeliveryRow:
    return DeliveryRow(
        message_id=data["message_id"],
        kind=RecordKind(data["kind"]),
        sender_code=data["sender_code"],
        document_id=data["document_id"],
        subject=data["subject"],
        submitted_at=data["submitted_at"],
        recipient_code=data["recipient_code"],
        addressed_to=data["addressed_to"],
        phase=Phase(data["phase"]),
        status=_status(data["status_progress"]),
        attempts=int(data["attempts"]),
        updated_at=data["updated_at"],
        last_error=data["last_error"],
    )
