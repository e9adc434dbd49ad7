"""Certificates of the trust store that expire soon (or have expired): `axis trust expiring`,
the dashboard's certificates page and the `axis_trust_certificates_expiring` metric all read
`expiring`, so each says the same.

Both kinds are listed: the certificate authorities the node trusts, and the certificates
authorized to sign for an organization code (revoked ones are left out: they sign nothing any
more). A reader with codes sees the certificates authorized for its codes only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from axis.store.trust_repository import TrustRepository


@dataclass(frozen=True, slots=True)
class Expiring:
    kind: Literal["authority", "authorization"]
    code: str | None
    """The organization code the certificate signs for (None: a certificate authority)."""
    serial: str
    subject: str
    not_after: datetime

    def days_left(self, now: datetime) -> int:
        """Whole days until it expires; negative once it has."""
        return (self.not_after - now) // timedelta(days=1)

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "kind": self.kind, "code": self.code, "serial": self.serial, "subject": self.subject,
            "not_after": self.not_after.isoformat(), "days_left": self.days_left(now),
            "expired": self.not_after <= now,
        }  # fmt: skip


async def expiring(
    sessions: async_sessionmaker[AsyncSession],
    *,
    within: timedelta,
    now: datetime,
    codes: Collection[str] | None = None,
) -> list[Expiring]:
    """Certificates expiring before `now + within` (expired ones included), soonest first; with
    `codes`, only those authorized for one of them."""
    repository = TrustRepository()
    async with sessions() as session:
        entries = await repository.listing(session)
        authorities = [] if codes is not None else await repository.authorities(session)
    limit = now + within
    found = [
        Expiring("authority", None, facts.serial, facts.subject, facts.not_after)
        for facts in authorities
        if facts.not_after <= limit
    ]
    found += [
        Expiring("authorization", e.code, e.facts.serial, e.facts.subject, e.facts.not_after)
        for e in entries
        if e.revocation is None
        and e.facts.not_after <= limit
        and (codes is None or e.code in codes)
    ]
    return sorted(found, key=lambda e: (e.not_after, e.code or "", e.serial))
