"""The database edge: async engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

One SQLAlchemy metadata serves both backends; the naming convention gives every constraint a
stable name so that Alembic migrations read the same on both.

A PostgreSQL outage costs no more than its own length (issue 14, finding 10):

- connecting gives up after `CONNECT_TIMEOUT` seconds (asyncpg waits 60 by default), and a
  connection that cannot be made is raised as `DatabaseUnreachable`, whatever asyncpg raised
  (refused, reset, time-out, "the database system is starting up", too many connections);
- a pooled connection the server has closed (a restart terminates every session) is known
  without asking the server: asyncpg marks it closed when the socket closes, and checking out
  such a connection discards it and opens a new one (`_discard_closed`). No round trip per
  checkout (what `pool_pre_ping` costs);
- an error of a connection lost in the middle of a statement (or a server shutting down)
  invalidates the pool, so every connection older than the error is replaced on checkout;
- `database_unavailable` tells these from a bug: the HTTP faces answer them 503
  `DATABASE_UNAVAILABLE` (`axis.http.unavailable`), the workers retry the batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from axis.store.sqlite_writes import take_turns
from routing.sql import NAMING_CONVENTION

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""Tables owned by the `axis` package itself (audit log, clients, ...)."""


CONNECT_TIMEOUT = 5.0
"""Seconds to open a PostgreSQL connection before the database counts as unreachable."""
POOL_RECYCLE = 1800
"""Seconds after which a pooled connection is replaced (servers and firewalls drop idle ones)."""
POOL_SIZE = 20
"""PostgreSQL connections a process keeps open. Under load every request, batch and worker holds
one for a moment; SQLAlchemy's default (5, and 10 more opened and closed again per use) made
the node open a connection for most requests (asyncpg reads the server's types on each)."""
POOL_OVERFLOW = 10
_OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
"""admin and crash shutdown, cannot connect now, too many connections (and class 08, below)."""


class DatabaseUrlError(ValueError):
    """The database URL names a backend the node does not support."""


class DatabaseUnreachable(ConnectionError):
    """No connection to the database could be made (it is down, restarting, or unreachable)."""


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database is away (not a bug): a connection that could not be
    made, was lost, or could not be had from the pool in time."""
    if isinstance(error, DatabaseUnreachable | exc.TimeoutError):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def unavailable_reason(error: BaseException) -> str:
    """What went wrong, for a log line: the error's class and SQLSTATE, no statement and no
    parameters (which can hold packet bytes)."""
    cause = error.__cause__ if isinstance(error, DatabaseUnreachable) else error
    if isinstance(error, exc.DBAPIError):
        cause = error.orig
    state = _sqlstate(error)
    return type(cause).__name__ + (f" (SQLSTATE {state})" if state else "")


def parse_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise DatabaseUrlError(
            f"unsupported database URL scheme {parsed.drivername!r}: use "
            "sqlite+aiosqlite:///path/to/axis.store.db or postgresql+asyncpg://user:pw@host/db"
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
        engine = create_async_engine(
            parsed, connect_args={"timeout": 30}, hide_parameters=True, **kwargs
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        take_turns(engine)  # the writers of a process take turns (axis.store.sqlite_writes)
        return engine
    connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    engine = create_async_engine(
        parsed,
        pool_recycle=POOL_RECYCLE,
        pool_size=kwargs.pop("pool_size", POOL_SIZE),
        max_overflow=kwargs.pop("max_overflow", POOL_OVERFLOW),
        connect_args=connect_args,
        hide_parameters=True,  # an error's text never carries packet bytes or secrets to a log
        **kwargs,
    )
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine, "checkout", _discard_closed)
    event.listen(engine.sync_engine, "handle_error", _outage_invalidates)
    return engine


def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    # asyncpg raises what it met (OSError, TimeoutError, its own errors), which SQLAlchemy does
    # not wrap: one type says "the database is away", whatever the way.
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as error:
        if isinstance(error, OSError | TimeoutError) or _outage_state(_sqlstate(error)):
            raise DatabaseUnreachable(
                f"cannot connect to the database: {type(error).__name__}: {error}"
            ) from error
        raise  # a wrong password or database name is not an outage


def _discard_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # The asyncpg connection under SQLAlchemy's adapter knows, without a round trip, whether
    # the server closed it; the pool then opens another (or raises DatabaseUnreachable).
    if dbapi_connection._connection.is_closed():
        raise exc.DisconnectionError("the database closed this connection")


def _outage_invalidates(context: ExceptionContext) -> None:
    # A server shutting down may answer before asyncpg sees the socket close; either way the
    # connections are gone: invalidate the pool (and mark the error as such).
    if _outage_state(_sqlstate(context.original_exception)):
        # Settable in this event, says SQLAlchemy's documentation; its stub's slots say not.
        context.is_disconnect = True  # type: ignore[misc]


def _outage_state(sqlstate: str | None) -> bool:
    """Connection exceptions (class 08) and a server shutting down, starting or full."""
    return sqlstate is not None and (sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES)


def _sqlstate(error: BaseException) -> str | None:
    current: BaseException | None = error
    while current is not None:
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            return state
        current = current.orig if isinstance(current, exc.DBAPIError) else current.__cause__
    return None


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


def read_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for a read of one statement on the hot path (authenticating a request): each
    statement commits on its own, so the session costs one round trip to the database instead
    of three (BEGIN, the statement, ROLLBACK). Never for writes, nor for reads that must agree
    with each other: those need a transaction (`session_factory`)."""
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(autocommit, expire_on_commit=False)
