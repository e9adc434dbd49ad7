"""What an agency sent, with where each delivery stands: `GET /v1/sent` and the SDK's
`getSentEdocList` both read it here.

Two statements per page whatever its length (the deliveries of every message listed, and their
first fetches), not two per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from routing.tracking import DeliveryView, MessageInfo, TrackingStore


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
