"""Pull inboxes: a packet lands once per recipient whatever Kafka re-delivers; acks are final."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from axis.store.db import session_factory
from envelopes.records import RecordKind
from routing.inbox_store import Ack, Arrival, Inbox, InboxAckConflict, InboxItemNotFound
from routing.sql import metadata

pytestmark = pytest.mark.integration


@pytest.fixture
async def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    async with db_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return session_factory(db_engine)


def _arrival(recipient: str = "000.00.00.H53", kind: RecordKind = RecordKind.DOCUMENT) -> Arrival:
    return Arrival(
        recipient_code=recipient, message_id=uuid.uuid4(), kind=kind,
        sender_code="000.00.00.G22", document_id="000.00.00.G22,2025/07/01,12/QD-TTg",
        packet_sha256="ab" * 32, packet_size=1234,
    )  # fmt: skip


async def test_the_same_arrival_twice_lands_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox()
    arrival = _arrival()
    async with sessions.begin() as session:
        assert await inbox.receive(session, arrival) is True
    async with sessions.begin() as session:
        assert await inbox.receive(session, arrival) is False
    async with sessions() as session:
        items = await inbox.list(session, [arrival.recipient_code])
    assert [item.message_id for item in items] == [arrival.message_id]


async def test_racing_workers_insert_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox()
    arrival = _arrival()

    async def worker() -> bool:
        async with sessions.begin() as session:
            return await inbox.receive(session, arrival)

    results = await asyncio.gather(*(worker() for _ in range(5)), return_exceptions=True)
    assert sorted(map(str, results)) == ["False"] * 4 + ["True"]


async def test_listing_pages_by_cursor_and_filters_by_kind_and_recipient(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox()
    mine = [_arrival(), _arrival(kind=RecordKind.STATUS), _arrival()]
    other = _arrival(recipient="000.00.00.H41")
    async with sessions.begin() as session:
        for arrival in [mine[0], other, mine[1], mine[2]]:
            await inbox.receive(session, arrival)
    async with sessions() as session:
        first = await inbox.list(session, ["000.00.00.H53"], limit=2)
        rest = await inbox.list(session, ["000.00.00.H53"], since=first[-1].id)
        documents = await inbox.list(session, ["000.00.00.H53"], kind=RecordKind.DOCUMENT)
        count = await inbox.count(session, ["000.00.00.H53"], kind=RecordKind.DOCUMENT)
    assert [i.message_id for i in first + rest] == [a.message_id for a in mine]
    assert [i.message_id for i in documents] == [mine[0].message_id, mine[2].message_id]
    assert count == 2


async def test_acknowledgements_move_to_a_final_answer_that_cannot_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox()
    arrival = _arrival()
    async with sessions.begin() as session:
        await inbox.receive(session, arrival)
        item = await inbox.get(session, [arrival.recipient_code], arrival.message_id)
        assert await inbox.mark_fetched(session, item) is True
        assert await inbox.mark_fetched(session, item) is False
        processing = await inbox.acknowledge(session, item, Ack.PROCESSING)
        done = await inbox.acknowledge(session, processing.item, Ack.DONE, detail="registered")
        again = await inbox.acknowledge(session, done.item, Ack.DONE)
        with pytest.raises(InboxAckConflict) as refused:
            await inbox.acknowledge(session, done.item, Ack.FAIL)
        count = await inbox.count(session, [arrival.recipient_code], kind=RecordKind.DOCUMENT)
    assert (processing.changed, done.changed, again.changed) == (True, True, False)
    assert done.item.ack is Ack.DONE and done.item.ack_detail == "registered"
    assert done.item.ack_at is not None and done.item.ack_at.tzinfo is not None
    assert refused.value.code == "INBOX_ACK_CONFLICT"
    assert "already acknowledged 'done'" in str(refused.value)
    assert count == 0


async def test_another_agency_cannot_see_or_fetch_the_item(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox()
    arrival = _arrival()
    async with sessions.begin() as session:
        await inbox.receive(session, arrival)
        with pytest.raises(InboxItemNotFound) as missing:
            await inbox.get(session, ["000.00.00.H41"], arrival.message_id)
        assert await inbox.list(session, ["000.00.00.H41"]) == []
    assert missing.value.code == "INBOX_ITEM_NOT_FOUND"
