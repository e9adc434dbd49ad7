"""The dashboard's sessions, kept by the node: who is signed in, since when, seen when.

The browser's cookie carries only a random session id (signed, `axis.http.dashboard.session`);
everything else is a row here, keyed by the id's SHA-256 (the table alone opens no session). So
a session ends for everyone at once when its row goes: at sign-out, when its client is disabled
or its secret rotated (`ClientStore` calls `end_all` in the same transaction), and when it is
older than `MAX_AGE` or idle longer than the idle timeout (a setting), which `current` checks on
every request. Rows of ended sessions are deleted when found, and all expired rows whenever
someone signs in, so the table holds about the sessions in use.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, ForeignKey, String, Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from axis.store.db import metadata

MAX_AGE = timedelta(hours=8)
"""A working day: after it, sign in again, however busy the session was."""
SEEN_EVERY = timedelta(seconds=60)
"""`seen_at` is written at most this often (not on every page)."""

dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column(
        "client_id",
        String(64),
        ForeignKey("api_clients.client_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("csrf", String(64), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A signed-in session as the node keeps it."""

    client_id: str
    csrf: str
    lang: str
    created_at: datetime
    seen_at: datetime


def new_id() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


async def start(
    db: AsyncSession, client_id: str, *, lang: str, idle: timedelta, now: datetime | None = None
) -> tuple[str, StoredSession]:
    """A new session of `client_id`: its id (for the cookie only) and its state. Expired
    sessions of everyone are cleared on the way."""
    now = now or datetime.now(UTC)
    await db.execute(
        delete(dashboard_sessions).where(
            or_(
                dashboard_sessions.c.created_at < now - MAX_AGE,
                dashboard_sessions.c.seen_at < now - idle,
            )
        )
    )
    session_id = new_id()
    stored = StoredSession(client_id, new_token(), lang, now, now)
    await db.execute(
        dashboard_sessions.insert().values(
            id_sha256=_key(session_id), client_id=client_id, csrf=stored.csrf, lang=lang,
            created_at=now, seen_at=now,
        )
    )  # fmt: skip
    return session_id, stored


async def current(
    db: AsyncSession, session_id: str, *, idle: timedelta, now: datetime | None = None
) -> StoredSession | None:
    """The live session of this id, marked seen; None (and its row deleted) when it has ended,
    expired or gone idle."""
    now = now or datetime.now(UTC)
    key = _key(session_id)
    row = (
        await db.execute(select(dashboard_sessions).where(dashboard_sessions.c.id_sha256 == key))
    ).first()
    if row is None:
        return None
    data = row._mapping
    stored = StoredSession(
        data["client_id"], data["csrf"], data["lang"], _aware(data["created_at"]),
        _aware(data["seen_at"]),
    )  # fmt: skip
    if stored.created_at + MAX_AGE <= now or stored.seen_at + idle <= now:
        await end(db, session_id)
        return None
    if now - stored.seen_at >= SEEN_EVERY:
        await db.execute(
            update(dashboard_sessions)
            .where(dashboard_sessions.c.id_sha256 == key)
            .values(seen_at=now)
        )
    return stored


async def set_lang(db: AsyncSession, session_id: str, lang: str) -> None:
    await db.execute(
        update(dashboard_sessions)
        .where(dashboard_sessions.c.id_sha256 == _key(session_id))
        .values(lang=lang)
    )


async def end(db: AsyncSession, session_id: str) -> None:
    """End one session (sign-out): its cookie, wherever it was copied, opens nothing more."""
    await db.execute(
        delete(dashboard_sessions).where(dashboard_sessions.c.id_sha256 == _key(session_id))
    )


async def end_all(db: AsyncSession, client_id: str) -> int:
    """End every session of a client (disabled, its secret rotated, its binding changed)."""
    result = await db.execute(
        delete(dashboard_sessions).where(dashboard_sessions.c.client_id == client_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
