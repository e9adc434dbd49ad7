"""The recipient's side of pull delivery: list the inbox, fetch a packet, acknowledge it.

This is what the HTTP API (and the demo) call for an agency; the agency is named by the codes
its client may read for, so nobody reads another agency's inbox. Fetching and acknowledging
move the tracked delivery forward (`fetched`, `acknowledged`, or `failed` when the recipient
says `fail`): the tracking event is produced on Kafka *before* the inbox row changes, so a
crash in between at worst repeats the event on the client's retry (harmless: tracking moves
forward only), and never leaves an acknowledgement that tracking does not know of.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.records import RecordCodec, RecordKind, TrackingEvent, TrackingEventType
from routing.bus import Outgoing
from routing.clock import Clock, utc_now
from routing.inbox_store import Ack, AckResult, Inbox, InboxItem, changes
from routing.payloads import PayloadNotFound, PayloadRef, PayloadStore
from routing.topics import TopicLayout


class RecordSender(Protocol):
    """Produces records and returns once Kafka holds them (`routing.sender.TransactionalSender`)."""

    async def send(self, records: Sequence[Outgoing]) -> None: ...


@dataclass(frozen=True, slots=True)
class Fetched:
    item: InboxItem
    data: bytes
    """The packet's bytes exactly as the sender signed them."""


@dataclass(frozen=True, slots=True)
class Streamed:
    item: InboxItem
    chunks: AsyncIterator[bytes]
    """The packet's bytes exactly as the sender signed them, a chunk at a time (the size and
    SHA-256 are checked at the end: `routing.payloads.PayloadStore.iter_chunks`)."""


_ACK_EVENTS: dict[Ack, TrackingEventType] = {
    Ack.DONE: TrackingEventType.ACKNOWLEDGED,
    Ack.FAIL: TrackingEventType.FAILED,
}


class Mailbox:
    """Inbox operations for a recipient, tracked on the bus."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        payloads: PayloadStore,
        sender: RecordSender,
        layout: TopicLayout,
        node_id: str,
        *,
        codec: RecordCodec | None = None,
        clock: Clock = utc_now,
        inbox: Inbox | None = None,
    ) -> None:
        self._sessions = sessions
        self._payloads = payloads
        self._sender = sender
        self._layout = layout
        self._node_id = node_id
        self._codec = codec or RecordCodec()
        self._clock = clock
        self._inbox = inbox or Inbox()

    async def list(
        self,
        codes: Sequence[str],
        *,
        kind: RecordKind | None = None,
        since: int = 0,
        limit: int = 100,
        unacknowledged_only: bool = False,
    ) -> list[InboxItem]:
        """The items of `codes` after cursor `since` (an item's `id`), oldest first."""
        async with self._sessions() as session:
            return await self._inbox.list(
                session, codes, kind=kind, since=since, limit=limit,
                unacknowledged_only=unacknowledged_only,
            )  # fmt: skip

    async def count(self, codes: Sequence[str], *, kind: RecordKind) -> int:
        """How many items of `kind` these recipients have not finished."""
        async with self._sessions() as session:
            return await self._inbox.count(session, codes, kind=kind)

    async def fetch(self, codes: Sequence[str], message_id: UUID) -> Fetched:
        """The packet `message_id` of one of `codes`; the first fetch is tracked as `fetched`.

        Raises `InboxItemNotFound` when none of `codes` holds it."""
        async with self._sessions() as session:
            item = await self._inbox.get(session, codes, message_id)
        data = await self._payloads.read(PayloadRef(item.packet_sha256, item.packet_size))
        await self._fetched(item)
        return Fetched(item, data)

    async def fetch_stream(self, codes: Sequence[str], message_id: UUID) -> Fetched | Streamed:
        """`fetch`, except that a packet bigger than one payload chunk is streamed: its bytes
        are read a chunk at a time as they are sent (tracked as `fetched` once the node found
        them stored, before the first chunk)."""
        async with self._sessions() as session:
            item = await self._inbox.get(session, codes, message_id)
        ref = PayloadRef(item.packet_sha256, item.packet_size)
        if item.packet_size <= self._payloads.chunk_size:
            data = await self._payloads.read(ref)
            await self._fetched(item)
            return Fetched(item, data)
        if not await self._payloads.exists(ref):
            raise PayloadNotFound(f"no stored payload {ref.uri}")
        await self._fetched(item)
        return Streamed(item, self._payloads.iter_chunks(ref))

    async def _fetched(self, item: InboxItem) -> None:
        """The first fetch of `item`: tracked, then marked in the inbox."""
        if item.fetched_at is not None:
            return
        now = self._clock()
        await self._sender.send([self._event(item, TrackingEventType.FETCHED, now)])
        async with self._sessions.begin() as session:
            await self._inbox.mark_fetched(session, item, at=now)

    async def acknowledge(
        self, codes: Sequence[str], message_id: UUID, ack: Ack, *, detail: str | None = None
    ) -> AckResult:
        """Record the recipient's answer (`processing`, `done`, `fail`); a final one is kept.

        Raises `InboxItemNotFound`, or `InboxAckConflict` when a different final answer was
        given before."""
        async with self._sessions() as session:
            item = await self._inbox.get(session, codes, message_id)
        if not changes(item, ack):
            return AckResult(item, changed=False)
        now = self._clock()
        events = []
        if item.fetched_at is None:
            events.append(self._event(item, TrackingEventType.FETCHED, now))
        answer = _ACK_EVENTS.get(ack)
        if answer is not None:
            reported = f"the recipient answered '{ack.value}'"
            events.append(
                self._event(item, answer, now, detail=f"{reported}: {detail}" if detail else None)
            )
        if events:
            await self._sender.send(events)
        async with self._sessions.begin() as session:
            return await self._inbox.acknowledge(session, item, ack, detail=detail, at=now)

    def _event(
        self,
        item: InboxItem,
        event: TrackingEventType,
        at: datetime,
        *,
        detail: str | None = None,
    ) -> Outgoing:
        tracking = TrackingEvent(
            message_id=item.message_id,
            recipient_code=item.recipient_code,
            event=event,
            at=at,
            attempt=1,
            node_id=self._node_id,
            detail=detail,
        )
        return Outgoing(
            self._layout.tracking.name,
            str(item.message_id).encode(),
            self._codec.encode(tracking),
        )
