"""What an agency sent, with where each delivery stands: `GET /v1/sent` and the SDK's
`getSentEdocList` both read it here (`sent_by`; the SDK may also name one document:
`sent_naming`).

Two statements per page whatever its length (the deliveries of every message listed, and their
first fetches), not two per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.records import RecordKind
from routing.inbox_store import Inbox, InboxItemNotFound
from routing.tracking import DeliveryView, MessageInfo, TrackingStore


class SentNotFound(LookupError):
    """No document of that id was sent by the caller's codes."""


@dataclass(frozen=True, slots=True)
class Sent:
    """One sent message and its deliveries, by recipient code."""

    message: MessageInfo
    deliveries: list[DeliveryView]
    fetched: dict[str, datetime] = field(default_factory=dict)
    """When each recipient first fetched it."""


async def sent_by(
    sessions: async_sessionmaker[AsyncSession],
    codes: Sequence[str],
    *,
    since: datetime | None = None,
    limit: int = 100,
) -> list[Sent]:
    """The messages `codes` sent (at or after `since`), newest first, at most `limit`."""
    async with sessions() as session:
        messages = await TrackingStore().sent(session, codes, since=since, limit=limit)
        return await with_deliveries(session, messages)


async def with_deliveries(session: AsyncSession, messages: Sequence[MessageInfo]) -> list[Sent]:
    """`messages` with their deliveries and first fetches (for a caller that chose them)."""
    store = TrackingStore()
    ids: list[UUID] = [m.message_id for m in messages]
    deliveries = await store.deliveries_of_many(session, ids)
    fetched: dict[UUID, dict[str, datetime]] = {message_id: {} for message_id in ids}
    for (message_id, code), at in (await store.first_fetches(session, ids)).items():
        fetched[message_id][code] = at
    return [Sent(m, deliveries[m.message_id], fetched[m.message_id]) for m in messages]


async def sent_naming(
    sessions: async_sessionmaker[AsyncSession],
    codes: Sequence[str],
    document: str | None,
    *,
    kind: RecordKind | None = None,
    limit: int = 100,
) -> list[Sent]:
    """The messages `codes` sent (of `kind`, if given), newest first, or the ones `document`
    names: a message id this node issued, or an edXML DocumentId.

    A `document` naming one of the caller's *received* documents does not narrow the list: the
    SDK keeps every parameter its service object was ever given, so a docId left over from an
    earlier getEdoc, updateStatus or downloadEdoc arrives here too. Raises `SentNotFound` when
    `document` names nothing the codes sent or received."""
    store = TrackingStore()
    async with sessions() as session:
        if document is None:
            messages = await store.sent(session, codes, limit=limit)
        else:
            messages = await _named(session, store, codes, document.strip(), limit=limit)
        chosen = [m for m in messages if kind is None or m.kind is kind]
        return await with_deliveries(session, chosen)


async def _named(
    session: AsyncSession, store: TrackingStore, codes: Sequence[str], document: str, *, limit: int
) -> list[MessageInfo]:
    try:
        found = await store.message(session, UUID(document))
        messages = [found] if found is not None else []
    except ValueError:
        messages = await store.messages_by_document(session, document)
    own = [m for m in messages if m.sender_code in codes]
    if own:
        return own
    if await _received(session, codes, document):
        return await store.sent(session, codes, limit=limit)
    raise SentNotFound(f"No document {document!r} sent by this client's codes.")


async def _received(session: AsyncSession, codes: Sequence[str], document: str) -> bool:
    try:
        await Inbox().get(session, list(codes), UUID(document))
    except (ValueError, InboxItemNotFound):
        return False
    return True
