"""A node's registry: the copy in its database and the resolver over it, kept in step.

Several processes may share one database (the node, the CLI). Every write happens in one
transaction that first re-reads the stored version, so a change set is always applied to the
registry as stored, never to a stale copy in memory; readers call `refresh` to pick up what
another process wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgcodes.changes import ChangeSet
from orgcodes.heartbeat import Limits, Liveness
from orgcodes.registry import EPOCH, Registry
from orgcodes.resolver import Resolution, Resolver
from orgcodes.store import RegistryStore, SyncState, VersionRecord
from orgcodes.tables import registry_state


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RegistryStatus:
    """What a node reports about its registry copy."""

    version: int
    effective: datetime | None
    synced_at: datetime | None
    """When the node last knew its version to be current (applied it, or caught up with the
    registry topic)."""
    age: timedelta | None
    max_age: timedelta
    counts: dict[str, int]
    source: str | None
    heartbeat_at: datetime | None = None
    """When the registry authority sent the last heartbeat this node checked (a follower)."""
    liveness: Liveness | None = None
    """What the heartbeat's age says (`orgcodes.heartbeat`); None where none is expected."""

    @property
    def degraded(self) -> bool:
        """Older than the configured maximum (or never synced), or the authority not heard of
        within the heartbeat limit: the node must say so."""
        if self.liveness is not None and self.liveness is not Liveness.CURRENT:
            return True
        return self.age is None or self.age > self.max_age

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective": None if self.effective is None else self.effective.isoformat(),
            "synced_at": None if self.synced_at is None else self.synced_at.isoformat(),
            "age_seconds": None if self.age is None else round(self.age.total_seconds(), 3),
            "max_age_seconds": self.max_age.total_seconds(),
            "degraded": self.degraded,
            "heartbeat_at": None if self.heartbeat_at is None else self.heartbeat_at.isoformat(),
            "liveness": None if self.liveness is None else self.liveness.value,
            "source": self.source,
            "units": self.counts,
        }


class RegistryService:
    """The node's registry copy: applies change sets durably and answers resolves from memory."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        store: RegistryStore | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.store = store or RegistryStore()
        self.clock = clock
        self.registry = Registry()
        self.resolver = Resolver(self.registry)
        self.heartbeat_at: datetime | None = None
        """When the authority sent the last heartbeat this node checked (read by `refresh`)."""

    @property
    def version(self) -> int:
        return self.registry.version

    def resolve(self, code: str, at: datetime | None = None) -> Resolution:
        return self.resolver.resolve(code, at)

    def in_force(self, at: datetime) -> tuple[int, datetime | None]:
        """See `Registry.in_force`."""
        return self.registry.in_force(at)

    async def load(self) -> Registry:
        """Read the whole registry from the database and index it."""
        async with self.sessions() as session:
            registry = await self.store.load(session)
        self._install(registry)
        return registry

    async def refresh(self) -> bool:
        """Reload when the database holds another version than memory; True if it did."""
        async with self.sessions() as session:
            state = await self.store.sync_state(session)
            heard = await self.store.heartbeat(session)
        if heard is not None:
            self.heartbeat_at = heard[0]
        if (state.version if state else 0) == self.registry.version:
            return False
        await self.load()
        return True

    async def apply(
        self,
        change_set: ChangeSet,
        *,
        actor: str,
        source: str = "local",
        version: int | None = None,
        published_at: datetime | None = None,
    ) -> VersionRecord:
        """Apply and store `change_set` as the next version (or exactly `version`), atomically.

        Raises `RegistryError` and stores nothing when it does not fit.
        """
        async with self.sessions.begin() as session:
            registry = await self._stored(session)
            applied = registry.apply(change_set, version=version)
            record = await self.store.save(
                session, applied, change_set, applied_by=actor, source=source, at=self.clock(),
                published_at=published_at,
            )  # fmt: skip
        self._install(applied.registry)
        return record

    async def replace(self, registry: Registry, *, source: str) -> None:
        """Replace the stored registry wholesale (a verified snapshot)."""
        async with self.sessions.begin() as session:
            await self.store.replace(session, registry, source=source, at=self.clock())
        self._install(registry)

    async def versions(self, *, since: int = 0, limit: int = 100) -> list[VersionRecord]:
        """The change sets applied after version `since`, oldest first, at most `limit`."""
        async with self.sessions() as session:
            return await self.store.versions(session, since=since, limit=limit)

    async def record_heartbeat(self, sent_at: datetime, version: int) -> None:
        """The authority was heard of: it sent a checked heartbeat at `sent_at`."""
        async with self.sessions.begin() as session:
            await self.store.record_heartbeat(session, sent_at, version, at=self.clock())
        if self.heartbeat_at is None or sent_at > self.heartbeat_at:
            self.heartbeat_at = sent_at

    def liveness(self, limits: Limits, now: datetime | None = None) -> Liveness:
        return limits.judge(self.heartbeat_at, now or self.clock())

    async def mark_synced(self) -> None:
        async with self.sessions.begin() as session:
            await self.store.mark_synced(session, self.clock())

    async def status(self, max_age: timedelta, limits: Limits | None = None) -> RegistryStatus:
        """Version, age, unit counts and (with `limits`, on a follower) the authority's liveness,
        read from the database (true for every process)."""
        now = self.clock()
        async with self.sessions() as session:
            state: SyncState | None = await self.store.sync_state(session)
            counts = await self.store.counts(session, now)
            heard = await self.store.heartbeat(session)
        heartbeat_at = None if heard is None else heard[0]
        liveness = None if limits is None else limits.judge(heartbeat_at, now)
        if state is None:
            return RegistryStatus(
                0, None, None, None, max_age, counts, None, heartbeat_at, liveness
            )
        effective = None if state.effective == EPOCH else state.effective
        age = max(now - state.synced_at, timedelta(0))
        return RegistryStatus(
            state.version, effective, state.synced_at, age, max_age, counts, state.source,
            heartbeat_at, liveness,
        )  # fmt: skip

    async def _stored(self, session: AsyncSession) -> Registry:
        """The registry as stored, inside the caller's transaction (locked on PostgreSQL so two
        writers take turns)."""
        query = select(registry_state.c.version).where(registry_state.c.id == 1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        stored = await session.scalar(query)
        if (stored or 0) == self.registry.version:
            return self.registry
        return await self.store.load(session)

    def _install(self, registry: Registry) -> None:
        self.resolver = Resolver(registry)
        self.registry = registry
