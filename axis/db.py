"""The database edge: async engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

One SQLAlchemy metadata serves both backends; the naming convention gives every constraint a
stable name so that Alembic migrations read the same on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from routing.schema import NAMING_CONVENTION

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""Tables owned by the `axis` package itself (audit log, clients, ...)."""


class DatabaseUrlError(ValueError):
    """The database URL names a backend the node does not support."""


def parse_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise DatabaseUrlError(
            f"unsupported database URL scheme {parsed.drivername!r}: use "
            "sqlite+aiosqlite:///path/to/axis.db or postgresql+asyncpg://user:pw@host/db"
        )
    return parsed


def make_engine(url: str, *, schema: str | None = None, **kwargs: Any) -> AsyncEngine:
    """Create the engine for `url`.

    `schema` (PostgreSQL only) puts every table in that schema via the connection's
    search_path; tests use it to give each test a database of its own.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (dashboard, CLI) work while a worker writes; foreign keys are off by
    # default in SQLite and the models rely on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
