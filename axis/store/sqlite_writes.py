"""SQLite writers of one process take turns on an asyncio lock instead of in SQLite's busy handler.

SQLite lets one transaction write at a time. When a second one wants to write, SQLite's busy
handler makes it sleep and try again, on a fixed schedule (1, 2, 5, 10, 15, 20, 25, ... 100 ms).
A node writes from several tasks at once (batches of submissions, the delivery worker, the
tracker), each on a connection of its own in aiosqlite's threads, so under load most writes
met a busy database and slept: B1 on SQLite showed second-long latencies at 100 packets/s.

Here a transaction's first write statement (INSERT, UPDATE, DELETE, REPLACE, DDL) waits for the
write turn, handed over the moment the writer before it commits or rolls back: an asyncio lock
among the tasks of a process, then an exclusive `flock` on `<database>-axis-writes` among the
processes of the node (`axis serve` runs one per core; the kernel wakes the next waiter at
once, and releases the lock of a process that dies). Reads never wait. Anything else writing
the same file (a CLI command, a migration) still meets SQLite's own locking, which stays the
authority: the turns only spare the node's writers the busy handler's sleeps.

The turn is released when the transaction ends (commit, rollback), and when its connection is
reset, invalidated or closed without either, so that no failure can keep it. A writer waits for
its turn at most `TURN_SECONDS` (the busy timeout SQLite would have applied), then fails as
SQLite would have: "database is locked".
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import await_only

TURN_SECONDS = 30.0
LOCK_SUFFIX = "-axis-writes"
"""The file beside the database whose `flock` is the turn between processes."""
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_HELD = "axis_write_turn"
"""Key, in a pooled connection's `info`, of the turn that connection holds."""


class WriteTurns:
    """The write turn of one engine: an asyncio lock among the tasks of this process (one per
    event loop), then, for a database file, an exclusive `flock` on a file beside it among the
    node's processes (the kernel wakes the next waiter the moment it is released)."""

    def __init__(self, database: Path | None = None) -> None:
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._path = None if database is None else database.with_name(database.name + LOCK_SUFFIX)
        self._fd: int | None = None
        self.waits = 0
        """Writes that found the turn taken and waited for it (for tests and curiosity)."""

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {k: v for k, v in self._locks.items() if not k.is_closed()}
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take(self) -> asyncio.Lock:
        lock = self.lock()
        if lock.locked():
            self.waits += 1
        try:
            await asyncio.wait_for(lock.acquire(), TURN_SECONDS)
        except TimeoutError:
            raise exc.OperationalError(
                "waiting for the write turn", None, Exception("database is locked")
            ) from None
        try:
            await self._between_processes()
        except BaseException:
            lock.release()
            raise
        return lock

    def give(self, lock: asyncio.Lock) -> None:
        """Hand the turn on: to the other processes, then to this process's next writer."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        if lock.locked():
            lock.release()

    async def _between_processes(self) -> None:
        if self._path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fd = self._fd
        waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread goes on waiting for the lock: whoever cancelled must not keep it.
            waiting.add_done_callback(lambda done: _unlock_if_taken(done, fd))
            raise


def take_turns(engine: AsyncEngine) -> WriteTurns:
    """Make the writers of `engine` (SQLite) take turns; the turns, for inspection."""
    database = engine.url.database
    on_disk = bool(database) and database != ":memory:" and "mode=memory" not in str(engine.url)
    turns = WriteTurns(Path(database).resolve() if on_disk and database else None)
    held: dict[int, asyncio.Lock] = {}
    """The turn each DBAPI connection holds, by the connection's id."""
    sync = engine.sync_engine
    dialect = sync.dialect

    @event.listens_for(sync, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        key = _key(conn.connection)
        if key in held or not _WRITES.match(statement):
            return
        held[key] = await_only(turns.take())

    def release(dbapi_connection: Any) -> None:
        lock = held.pop(_key(dbapi_connection), None)
        if lock is not None:
            turns.give(lock)

    def after(step: Any) -> Any:
        def done(dbapi_connection: Any) -> None:
            try:
                step(dbapi_connection)
            finally:  # the transaction is over, committed or not
                release(dbapi_connection)

        return done

    # After the commit or rollback itself (SQLAlchemy's "commit" event comes before it): the
    # next writer must not meet this transaction's lock still held inside SQLite.
    dialect.do_commit = after(dialect.do_commit)  # type: ignore[method-assign]
    dialect.do_rollback = after(dialect.do_rollback)  # type: ignore[method-assign]

    def _returned(dbapi_connection: Any, *args: Any) -> None:
        release(dbapi_connection)

    for name in ("reset", "invalidate", "close", "checkin"):
        event.listen(sync.pool, name, _returned)
    return turns


def _key(connection: Any) -> int:
    """The DBAPI connection's id, whether handed over bare (pool events) or as the pool's proxy
    (`Connection.connection`, and what the dialect's commit and rollback receive)."""
    if isinstance(connection, PoolProxiedConnection):
        return id(connection.dbapi_connection)
    return id(connection)


def _unlock_if_taken(done: asyncio.Future[None], fd: int) -> None:
    if not done.cancelled() and done.exception() is None:
        fcntl.flock(fd, fcntl.LOCK_UN)
