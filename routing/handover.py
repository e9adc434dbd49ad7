"""Inbox handover: what waits unfetched in the inbox of a code that closed moves to the
successor's inbox once a grace period has passed.

During the grace period (`AXIS_INBOX_HANDOVER_GRACE`, counted from the moment the registry says
the code stopped being active) the old code's system may still fetch its items; whichever comes
first wins, on the row itself: a fetch marks it fetched only if it was not handed over, a
handover moves it only if nobody fetched it (`routing.inbox_store.Handovers.hand_over`), so an
item is read by one side, never both. A handed-over item is gone from the old inbox
(`INBOX_ITEM_HANDED_OVER` says where it went) and is in the successor's once, addressed to the
code the sender used. Only codes with one successor are handed over; the items of a code split
or closed without successor stay where they are.

Tracking: the old delivery ends `rerouted`, the successor's opens `redirected` and is
`delivered`. The events go on the bus after the move is committed; a handover whose events are
not known to be on the bus is announced again at the next sweep (the tracker records each fact
once), so a crash in between loses no event.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from envelopes.records import RecordCodec, TrackingEvent, TrackingEventType
from routing.bus import Outgoing
from routing.clock import Clock, utc_now
from routing.destinations import Directory
from routing.inbox_store import HandedOver, Handovers
from routing.outcomes import RouteOutcome
from routing.pull_delivery import RecordSender
from routing.topics import TopicLayout

log = structlog.get_logger(__name__)

BATCH = 200
"""Items moved per transaction."""


class InboxHandover:
    """Moves the due items of closed codes to their successors; run by the delivery role."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: Directory,
        sender: RecordSender,
        layout: TopicLayout,
        node_id: str,
        *,
        grace: timedelta,
        codec: RecordCodec | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._sender = sender
        self._layout = layout
        self._node_id = node_id
        self._grace = grace
        self._codec = codec or RecordCodec()
        self._clock = clock
        self._store = Handovers()

    @property
    def every(self) -> float:
        """Seconds between sweeps: often enough for the grace period, at most every 30 s."""
        return min(30.0, max(1.0, self._grace.total_seconds() / 4))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:  # the database or the broker may be away: the next sweep retries
                log.exception("inbox handover sweep failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)

    async def sweep(self) -> int:
        """Announce earlier handovers still unannounced, move every item now due, announce
        those; the number of items moved."""
        await self._announce()
        async with self._sessions() as session:
            codes = await self._store.codes_with_unfetched(session)
        moved = 0
        for code in codes:
            successor = self._due(code)
            if successor is not None:
                moved += await self._move(code, successor)
        if moved:
            log.info("inbox items handed over", items=moved)
            await self._announce()
        return moved

    def _due(self, code: str) -> str | None:
        """The successor `code`'s items go to now, if it closed at least the grace ago."""
        now = self._clock()
        route = self._directory.route(code, at=now)
        target = route.target
        if route.outcome is not RouteOutcome.REDIRECTED or target is None or target == code:
            return None
        earlier = self._directory.route(code, at=now - self._grace)
        if earlier.outcome is RouteOutcome.ROUTED and earlier.target == code:
            return None  # still in its grace period
        return target

    async def _move(self, code: str, successor: str) -> int:
        moved = 0
        while True:
            async with self._sessions() as session:
                items = await self._store.unfetched(session, code, limit=BATCH)
            if not items:
                return moved
            at = self._clock()
            async with self._sessions.begin() as session:
                for item in items:
                    moved += await self._store.hand_over(session, item, successor, at=at)
            if len(items) < BATCH:
                return moved

    async def _announce(self) -> None:
        while True:
            async with self._sessions() as session:
                pending = await self._store.unannounced(session, limit=BATCH)
            if not pending:
                return
            await self._sender.send([e for h in pending for e in self._events(h)])
            async with self._sessions.begin() as session:
                await self._store.announced(session, [h.item.id for h in pending])

    def _events(self, handed: HandedOver) -> list[Outgoing]:
        item, to = handed.item, handed.to
        closed = item.recipient_code
        route = self._directory.route(closed, at=handed.at)
        chain = " -> ".join(route.chain or (closed, to))
        version = route.registry_version
        said = f"along {chain} after the grace period (registry version {version})"
        return [
            self._event(handed, closed, TrackingEventType.REROUTED,
                        detail=f"unfetched: handed over to {to} {said}",
                        fact=f"handed-over-to/{to}"),
            self._event(handed, to, TrackingEventType.REDIRECTED,
                        detail=f"handed over from the inbox of {closed} {said}",
                        fact=f"handed-over-from/{closed}",
                        addressed_to=item.addressed_to or closed),
            self._event(handed, to, TrackingEventType.DELIVERED, fact=f"handed-over-from/{closed}"),
        ]  # fmt: skip

    def _event(
        self,
        handed: HandedOver,
        recipient: str,
        event: TrackingEventType,
        *,
        fact: str,
        detail: str | None = None,
        addressed_to: str | None = None,
    ) -> Outgoing:
        tracking = TrackingEvent(
            message_id=handed.item.message_id, recipient_code=recipient, event=event,
            at=handed.at, attempt=1, node_id=self._node_id, detail=detail, fact=fact,
            addressed_to=addressed_to,
        )  # fmt: skip
        key = str(handed.item.message_id).encode()
        return Outgoing(self._layout.tracking.name, key, self._codec.encode(tracking))
