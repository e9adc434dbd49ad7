"""The audit log: who did what to which target, when; every operator action is appended here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from axis.store.db import metadata

audit_log = Table(
    "audit_log",
    metadata,
    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", String(500), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("request_id", String(64), nullable=True),
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None


async def append(session: AsyncSession, entry: AuditEntry) -> int:
    """Append one entry (inside the caller's transaction, so the action and its record commit
    together) and return its id."""
    result = await session.execute(
        audit_log.insert().values(
            at=entry.at, actor=entry.actor, action=entry.action, target=entry.target,
            detail=entry.detail, request_id=entry.request_id,
        ).returning(audit_log.c.id)
    )  # fmt: skip
    return int(result.scalar_one())


async def recent(
    session: AsyncSession, *, limit: int = 100, actor: str | None = None
) -> list[AuditEntry]:
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    rows = (await session.execute(query)).mappings()
    return [
        AuditEntry(
            id=row["id"], at=_aware(row["at"]), actor=row["actor"], action=row["action"],
            target=row["target"], detail=row["detail"], request_id=row["request_id"],
        )
        for row in rows
    ]  # fmt: skip


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for what was written as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
