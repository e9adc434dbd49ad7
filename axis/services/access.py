"""Who is calling: the API client named by a bearer secret (`/v1`), by an SDK system id (its
HMAC secret, the SDK dialect), or by its id and secret (the dashboard's sign-in), and the
dashboard's signed-in sessions.

Every face asks here and only decides what to answer; the throttling of failed attempts and the
TLS certificate check stay with the face, which knows the connection. The bearer lookup is on
the hot path of every `/v1` call, so it reads without a transaction (`axis.store.db`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.store import dashboard_sessions
from axis.store.credentials import Client, ClientStore
from axis.store.dashboard_sessions import StoredSession


class Callers:
    """The API clients behind a request's credentials."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        reads: async_sessionmaker[AsyncSession],
        store: ClientStore,
    ) -> None:
        self._sessions = sessions
        self._reads = reads
        self._store = store

    async def by_secret(self, secret: str) -> Client | None:
        """The enabled client whose current secret this is (a bearer token)."""
        async with self._reads() as session:
            return await self._store.by_secret(session, secret)

    async def by_system_id(self, system_id: str) -> tuple[Client, str] | None:
        """The enabled HMAC client `system_id` names, with the secret its requests are signed
        with."""
        async with self._sessions() as session:
            return await self._store.hmac_secret(session, system_id)

    async def login(self, client_id: str, secret: str) -> Client | None:
        """The enabled client `client_id`, if `secret` is its secret (the dashboard)."""
        async with self._sessions() as session:
            return await self._store.login(session, client_id, secret)

    async def get(self, client_id: str) -> Client | None:
        async with self._sessions() as session:
            return await self._store.get(session, client_id)


class SignIns:
    """The dashboard's sessions: started at sign-in, ended at sign-out or after `idle`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, idle: timedelta) -> None:
        self._sessions = sessions
        self._idle = idle

    async def current(self, session_id: str) -> StoredSession | None:
        """The session, if it has not ended (signed out, expired or idle too long); seeing it
        counts as activity."""
        async with self._sessions.begin() as db:
            return await dashboard_sessions.current(db, session_id, idle=self._idle)

    async def start(
        self, client_id: str, *, lang: str, replacing: str | None = None
    ) -> tuple[str, StoredSession]:
        """A new session for `client_id` (ending `replacing`, the one this browser had): its id
        and what is stored of it."""
        async with self._sessions.begin() as db:
            if replacing is not None:
                await dashboard_sessions.end(db, replacing)
            return await dashboard_sessions.start(db, client_id, lang=lang, idle=self._idle)

    async def set_lang(self, session_id: str, lang: str) -> None:
        async with self._sessions.begin() as db:
            await dashboard_sessions.set_lang(db, session_id, lang)

    async def end(self, session_id: str) -> None:
        async with self._sessions.begin() as db:
            await dashboard_sessions.end(db, session_id)
