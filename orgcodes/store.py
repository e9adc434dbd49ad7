"""The registry kept in the node's database: loading it whole, writing each applied change set
with its version record, replacing it from a snapshot, and the node's sync state.

Every method works inside the caller's session and transaction, so a change set, its version
record and the sync state commit together or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orgcodes.changes import ChangeSet
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.memory import collector_paused
from orgcodes.model import (
    NO_CONTACT,
    Contact,
    DeliveryMode,
    UnitHistory,
    UnitState,
    UnitStatus,
    from_ms,
    to_ms,
)
from orgcodes.registry import EPOCH, Applied, Registry
from orgcodes.tables import (
    registry_heartbeats,
    registry_state,
    registry_unit_states,
    registry_versions,
)

_CHUNK = 500
"""Codes per DELETE ... IN (...) statement (well under both databases' parameter limits)."""


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One applied change set as the node logged it."""

    version: int
    effective: datetime
    applied_at: datetime
    applied_by: str
    source: str
    reason: str
    payload: str
    payload_sha256: str
    published_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective": self.effective.isoformat(),
            "applied_at": self.applied_at.isoformat(),
            "applied_by": self.applied_by,
            "source": self.source,
            "reason": self.reason,
            "payload_sha256": self.payload_sha256,
        }


@dataclass(frozen=True, slots=True)
class SyncState:
    """The version a node holds and when it last knew that version to be current."""

    version: int
    effective: datetime
    synced_at: datetime
    source: str


class RegistryStore:
    """The registry's tables, read and written inside the caller's session."""

    async def load(self, session: AsyncSession) -> Registry:
        """The whole registry (every unit's history) at the stored version."""
        state = await self.sync_state(session)
        with collector_paused():
            histories = await self._histories(session)
        if state is None:
            return Registry(histories)
        return Registry(histories, version=state.version, effective=state.effective)

    async def _histories(self, session: AsyncSession) -> list[UnitHistory]:
        rows = await session.execute(
            # Read by position: the table's columns are in the order the loop below reads.
            select(registry_unit_states).order_by(
                registry_unit_states.c.code, registry_unit_states.c.version
            )
        )
        times: dict[int | None, datetime | None] = {None: None}
        histories: list[UnitHistory] = []
        current: list[UnitState] = []
        statuses = {status.value: status for status in UnitStatus}
        modes = {mode.value: mode for mode in DeliveryMode}
        for row in rows:
            since = times.get(row[2])
            if since is None:
                since = times[row[2]] = from_ms(row[2])
            until = times.get(row[3], EPOCH) if row[3] is not None else None
            if until is EPOCH:
                until = times[row[3]] = from_ms(row[3])
            unit = UnitState(
                row[0],
                row[4],
                row[5],
                row[6],
                statuses[row[7]],
                since,
                until,
                row[1],
                row[8],
                tuple(row[9].split()),
                tuple(row[10].split()),
                row[11],
                modes[row[12]],
                row[13],
                NO_CONTACT
                if row[14] is None and row[15] is None and row[16] is None and row[17] is None
                else Contact(row[14], row[15], row[16], row[17]),
            )
            if current and current[0].code != unit.code:
                histories.append(UnitHistory(current[0].code, tuple(current)))
                current = []
            current.append(unit)
        if current:
            histories.append(UnitHistory(current[0].code, tuple(current)))
        return histories

    async def save(
        self,
        session: AsyncSession,
        applied: Applied,
        change_set: ChangeSet,
        *,
        applied_by: str,
        source: str,
        at: datetime,
        published_at: datetime | None = None,
    ) -> VersionRecord:
        """Write an applied change set: its unit histories, its version record, the new state.

        Refuses (VERSION_OLD) when another writer stored the same version first.
        """
        registry = applied.registry
        payload = change_set.dumps()
        record = VersionRecord(
            version=registry.version,
            effective=change_set.effective,
            applied_at=at,
            applied_by=applied_by,
            source=source,
            reason=change_set.reason,
            payload=payload,
            payload_sha256=hashlib.sha256(payload.encode("utf-8")).hexdigest(),
            published_at=None,
        )
        try:
            await session.execute(
                insert(registry_versions).values(
                    version=record.version,
                    effective_ms=to_ms(record.effective),
                    applied_at_ms=to_ms(at),
                    applied_by=applied_by,
                    source=source,
                    reason=record.reason,
                    payload=payload,
                    payload_sha256=record.payload_sha256,
                    published_at_ms=None if published_at is None else to_ms(published_at),
                )
            )
        except IntegrityError:
            raise RegistryError(
                RegistryCode.VERSION_OLD,
                f"registry version {record.version} was stored by another writer at the same "
                "time; load the registry again and re-apply",
            ) from None
        await self._write_histories(session, applied.changed)
        await self._set_state(session, registry, synced_at=at, source=source)
        return record

    async def replace(
        self, session: AsyncSession, registry: Registry, *, source: str, at: datetime
    ) -> None:
        """Replace every unit with `registry`'s (loading a snapshot)."""
        await session.execute(delete(registry_unit_states))
        await session.execute(
            delete(registry_versions).where(registry_versions.c.version > registry.version)
        )
        await self._insert_states(session, registry)
        await self._set_state(session, registry, synced_at=at, source=source)

    async def sync_state(self, session: AsyncSession) -> SyncState | None:
        row = (await session.execute(select(registry_state))).first()
        if row is None:
            return None
        return SyncState(
            row.version, from_ms(row.effective_ms), from_ms(row.synced_at_ms), row.source
        )

    async def heartbeat(self, session: AsyncSession) -> tuple[datetime, int] | None:
        """When the authority sent its last heartbeat this node checked, and its version."""
        row = (await session.execute(select(registry_heartbeats))).first()
        return None if row is None else (from_ms(row.sent_at_ms), int(row.version))

    async def record_heartbeat(
        self, session: AsyncSession, sent_at: datetime, version: int, *, at: datetime
    ) -> None:
        values = {"sent_at_ms": to_ms(sent_at), "version": version, "recorded_at_ms": to_ms(at)}
        result = await session.execute(
            update(registry_heartbeats)
            .where(registry_heartbeats.c.id == 1, registry_heartbeats.c.sent_at_ms < to_ms(sent_at))
            .values(**values)
        )
        if not getattr(result, "rowcount", 0) and await self.heartbeat(session) is None:
            await session.execute(insert(registry_heartbeats).values(id=1, **values))

    async def mark_synced(self, session: AsyncSession, at: datetime) -> None:
        """Record that the node knew its version to be current at `at`."""
        await session.execute(
            update(registry_state).where(registry_state.c.id == 1).values(synced_at_ms=to_ms(at))
        )

    async def counts(self, session: AsyncSession, at: datetime) -> dict[str, int]:
        """Units by status at `at`, counted in the database (for status reports)."""
        moment = to_ms(at)
        table = registry_unit_states
        in_force = (table.c.since_ms <= moment) & (
            table.c.until_ms.is_(None) | (table.c.until_ms > moment)
        )
        counts = {UnitStatus.ACTIVE.value: 0, UnitStatus.CLOSED.value: 0}
        rows = await session.execute(
            select(table.c.status, func.count()).where(in_force).group_by(table.c.status)
        )
        for status, count in rows:
            counts[status] = count
        total = await session.scalar(select(func.count(func.distinct(table.c.code))))
        counts["future"] = (total or 0) - counts["active"] - counts["closed"]
        return counts

    async def versions(
        self, session: AsyncSession, *, since: int = 0, limit: int | None = None
    ) -> list[VersionRecord]:
        """Logged change sets with a version above `since`, oldest first."""
        query = (
            select(registry_versions)
            .where(registry_versions.c.version > since)
            .order_by(registry_versions.c.version)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_record(row) for row in await session.execute(query)]

    async def unpublished(self, session: AsyncSession) -> list[VersionRecord]:
        """Locally applied change sets not yet confirmed on the registry topic, oldest first."""
        query = (
            select(registry_versions)
            .where(registry_versions.c.published_at_ms.is_(None))
            .where(registry_versions.c.source == "local")
            .order_by(registry_versions.c.version)
        )
        return [_record(row) for row in await session.execute(query)]

    async def mark_published(self, session: AsyncSession, version: int, at: datetime) -> None:
        await session.execute(
            update(registry_versions)
            .where(registry_versions.c.version == version)
            .values(published_at_ms=to_ms(at))
        )

    # --- writing ---

    async def _write_histories(
        self, session: AsyncSession, histories: Sequence[UnitHistory]
    ) -> None:
        codes = [history.code for history in histories]
        for chunk in _chunks(codes):
            await session.execute(
                delete(registry_unit_states).where(registry_unit_states.c.code.in_(chunk))
            )
        await self._insert_states(session, histories)

    async def _insert_states(self, session: AsyncSession, histories: Iterable[UnitHistory]) -> None:
        rows = [_row(state) for history in histories for state in history.states]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(registry_unit_states), rows[start : start + 5000])

    async def _set_state(
        self, session: AsyncSession, registry: Registry, *, synced_at: datetime, source: str
    ) -> None:
        values = {
            "version": registry.version,
            "effective_ms": to_ms(registry.effective),
            "synced_at_ms": to_ms(synced_at),
            "source": source,
        }
        done = await session.execute(
            update(registry_state).where(registry_state.c.id == 1).values(**values)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            await session.execute(insert(registry_state).values(id=1, **values))


def _row(state: UnitState) -> dict[str, Any]:
    contact = state.contact
    return {
        "code": state.code,
        "version": state.version,
        "since_ms": to_ms(state.since),
        "until_ms": None if state.until is None else to_ms(state.until),
        "name": state.name,
        "parent": state.parent,
        "level": state.level,
        "status": state.status.value,
        "alt_code": state.alt_code,
        "successors": " ".join(state.successors),
        "old_codes": " ".join(state.old_codes),
        "home_axis": state.home_axis,
        "delivery_mode": state.delivery_mode.value,
        "endpoint": state.endpoint,
        "email": contact.email,
        "phone": contact.phone,
        "fax": contact.fax,
        "address": contact.address,
    }


def _record(row: Any) -> VersionRecord:
    return VersionRecord(
        row.version,
        from_ms(row.effective_ms),
        from_ms(row.applied_at_ms),
        row.applied_by,
        row.source,
        row.reason,
        row.payload,
        row.payload_sha256,
        None if row.published_at_ms is None else from_ms(row.published_at_ms),
    )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
