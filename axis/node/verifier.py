"""The node's packet verifier: signing's verifier over the trust store in the node database,
reloaded when an operator changes the store (`axis trust ...` in another process)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.store.trust_repository import TrustRepository
from envelopes.spool import PacketBytes
from signing.algorithms import AlgorithmPolicy
from signing.trust import TrustStore
from signing.verification import PacketVerifier, VerifiedPacket


class NodeVerifier:
    """Verifies packets against the node's trust store as last loaded (`refresh`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        policy: AlgorithmPolicy,
        repository: TrustRepository | None = None,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._repository = repository or TrustRepository()
        self._revision: str | None = None
        self._verifier = PacketVerifier(TrustStore.of([], [], []), policy)

    async def refresh(self) -> bool:
        """Reload the trust store when it changed since the last load; True if it did."""
        async with self._sessions() as session:
            revision = await self._repository.revision(session)
            if revision == self._revision:
                return False
            store = await self._repository.load(session)
        self._verifier = PacketVerifier(store, self._policy)
        self._revision = revision
        return True

    def verify(self, data: PacketBytes, *, at: datetime) -> VerifiedPacket:
        """See `signing.verification.PacketVerifier.verify`."""
        return self._verifier.verify(data, at=at)
