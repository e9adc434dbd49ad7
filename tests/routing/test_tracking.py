"""Tracking: events applied once, delivery phases and statuses only move forward, queries."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from axis.store.db import session_factory
from envelopes.codes import StatusCode
from envelopes.records import RecordKind, TrackingEvent, TrackingEventType
from routing.lifecycle import Phase
from routing.sql import metadata
from routing.tracking import MessageInfo, TrackingStore

pytestmark = pytest.mark.integration

T0 = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
RECIPIENT = "000.00.00.H53"
DOCUMENT_ID = "000.00.00.G22,2025/07/01,7/TB-VPCP"


@pytest.fixture
async def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    async with db_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return session_factory(db_engine)


def _event(
    message_id: uuid.UUID,
    event: TrackingEventType,
    minute: int,
    *,
    status: StatusCode | None = None,
    recipient: str = RECIPIENT,
    detail: str | None = None,
) -> TrackingEvent:
    return TrackingEvent(
        message_id=message_id, recipient_code=recipient, event=event,
        at=T0 + timedelta(minutes=minute), attempt=1, node_id="node-1",
        status_code=status, detail=detail,
    )  # fmt: skip


async def _message(store: TrackingStore, session: AsyncSession) -> uuid.UUID:
    message_id = uuid.uuid4()
    await store.record_message(
        session,
        MessageInfo(
            message_id=message_id, kind=RecordKind.DOCUMENT, sender_code="000.00.00.G22",
            document_id=DOCUMENT_ID, packet_sha256="cd" * 32,
            submitted_at=T0,
        ),
    )  # fmt: skip
    await store.record_delivery(session, message_id, RECIPIENT, at=T0, addressed_to="000.00.00.H39")
    return message_id


async def test_an_event_delivered_twice_by_kafka_is_recorded_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = TrackingStore()
    async with sessions.begin() as session:
        message_id = await _message(store, session)
        event = _event(message_id, TrackingEventType.DELIVERED, 1)
        first = await store.apply(session, event, source="t.tracking:0:17")
        second = await store.apply(session, event, source="t.tracking:0:17")
        entries = await store.timeline(session, message_id)
    assert (first.recorded, second.recorded) == (True, False)
    assert [e.event for e in entries] == [TrackingEventType.DELIVERED]
    assert first.delivery is not None and first.delivery.phase is Phase.DELIVERED
    assert first.delivery.addressed_to == "000.00.00.H39"


async def test_late_events_are_kept_in_the_timeline_but_never_move_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = TrackingStore()
    async with sessions.begin() as session:
        message_id = await _message(store, session)
        for minute, kind in enumerate(
            [TrackingEventType.FETCHED, TrackingEventType.DELIVERED, TrackingEventType.QUEUED]
        ):
            await store.apply(session, _event(message_id, kind, minute), source=f"s:{minute}")
        delivery = await store.delivery(session, message_id, RECIPIENT)
        entries = await store.timeline(session, message_id, RECIPIENT)
    assert delivery is not None and delivery.phase is Phase.FETCHED
    assert [(e.event.value, e.effect) for e in entries] == [
        ("fetched", "moved"), ("delivered", "stale"), ("queued", "stale"),
    ]  # fmt: skip


async def test_a_status_conversation_reaches_06_despite_a_duplicate_03_and_a_late_01(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = TrackingStore()
    codes = ["01", "03", "03", "05", "01", "06"]
    async with sessions.begin() as session:
        message_id = await _message(store, session)
        for minute, code in enumerate(codes):
            event = _event(message_id, TrackingEventType.STATUS, minute, status=StatusCode(code))
            await store.apply(session, event, source=f"s:{minute}")
        delivery = await store.delivery(session, message_id, RECIPIENT)
        entries = await store.timeline(session, message_id)
    assert delivery is not None and delivery.last_status is StatusCode.FINISHED
    assert [(e.status_code.value if e.status_code else None, e.effect) for e in entries] == [
        ("01", "advanced"), ("03", "advanced"), ("03", "ignored_duplicate"),
        ("05", "advanced"), ("01", "ignored_backwards"), ("06", "advanced"),
    ]  # fmt: skip


async def test_queries_by_document_sender_and_phase(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = TrackingStore()
    async with sessions.begin() as session:
        waiting = await _message(store, session)
        moving = await _message(store, session)
        await store.apply(session, _event(moving, TrackingEventType.DELIVERED, 600), source="a")
        failed = await _message(store, session)
        await store.apply(
            session, _event(failed, TrackingEventType.FAILED, 5, detail="PUSH_REFUSED: 400"),
            source="b",
        )  # fmt: skip
    async with sessions() as session:
        by_document = await store.messages_by_document(
            session, "000.00.00.G22,2025/07/01,7/TB-VPCP"
        )
        sent = await store.sent(session, ["000.00.00.G22"])
        failures = await store.find_deliveries(session, phases=[Phase.FAILED])
        others = await store.sent(session, ["000.00.00.H41"])
    assert {m.message_id for m in by_document} == {waiting, moving, failed}
    assert len(sent) == 3 and others == []
    assert [(d.message_id, d.last_error) for d in failures] == [(failed, "PUSH_REFUSED: 400")]


async def test_a_fact_produced_again_by_a_redone_step_is_recorded_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A redone submission or delivery batch produces its events again, at other Kafka
    positions and other times: the timeline keeps each fact once."""
    store = TrackingStore()
    async with sessions.begin() as session:
        message_id = await _message(store, session)
        first = await store.apply(
            session, _event(message_id, TrackingEventType.ACCEPTED, 0), source="t:0:1"
        )
        again = await store.apply(
            session, _event(message_id, TrackingEventType.ACCEPTED, 3), source="t:1:9"
        )
        delivered = await store.apply(
            session, _event(message_id, TrackingEventType.DELIVERED, 1), source="t:0:2"
        )
        redelivered = await store.apply(
            session, _event(message_id, TrackingEventType.DELIVERED, 4), source="t:0:7"
        )
        timeline = await store.timeline(session, message_id)
    assert (first.recorded, again.recorded) == (True, False)
    assert (delivered.recorded, redelivered.recorded) == (True, False)
    assert [e.event for e in timeline] == [TrackingEventType.ACCEPTED, TrackingEventType.DELIVERED]


async def test_two_status_packets_with_the_same_code_are_two_facts_but_each_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = TrackingStore()

    def reported(packet: str, minute: int) -> TrackingEvent:
        event = _event(message_id, TrackingEventType.STATUS, minute, status=StatusCode("03"))
        return dataclasses.replace(event, fact=f"status-packet/{packet}")

    async with sessions.begin() as session:
        message_id = await _message(store, session)
        applied = [
            await store.apply(session, reported("a", 1), source="t:0:1"),
            await store.apply(session, reported("a", 2), source="t:0:2"),  # redone
            await store.apply(session, reported("b", 3), source="t:0:3"),  # a second 03
        ]
    assert [a.recorded for a in applied] == [True, False, True]


async def test_a_status_never_creates_a_delivery(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Visibility follows deliveries: a status about a recipient the message never had adds
    nothing (the submission service refuses such statuses; this is the second line)."""
    store = TrackingStore()
    stranger = "000.00.00.H41"
    async with sessions.begin() as session:
        message_id = await _message(store, session)
        event = _event(
            message_id, TrackingEventType.STATUS, 1, status=StatusCode("06"), recipient=stranger
        )
        applied = await store.apply(session, event, source="t:0:1")
        deliveries = await store.deliveries_of(session, message_id)
        timeline = await store.timeline(session, message_id)
    assert not applied.recorded and applied.delivery is None
    assert [d.recipient_code for d in deliveries] == [RECIPIENT]
    assert timeline == []
