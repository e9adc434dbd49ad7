"""The trust store kept in the node's database: adding authorities, authorizing and revoking
certificates, listing what is trusted, and loading it all as a `TrustStore`.

Every method works inside the caller's session and transaction, so that an operator's change and
its audit entry commit together. Writes are single statements the database decides atomically
(insert-or-ignore, upsert), so two operators doing the same thing at once cannot both win.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from axis.store import audit
from axis.store.trust_tables import trust_authorities, trust_authorizations, trust_revocations
from signing.certificates import (
    CertificateFacts,
    describe,
    facts,
    is_issued_by,
    parse_serial,
    pem,
)
from signing.errors import TrustError
from signing.trust import Authorization, Revocation, TrustStore
from signing.trust_files import check_code, load_trust_directory

_MAX_SERIAL = 64
"""Hex digits a serial column holds (RFC 5280 allows 20 octets, 40 digits)."""
_MAX_REASON = 1000
_MAX_ACTOR = 200


@dataclass(frozen=True, slots=True)
class TrustEntry:
    """One authorization as an operator reads it: the code, the certificate, the window in
    which it may sign for the code, and its revocation if there is one."""

    code: str
    facts: CertificateFacts
    not_before: datetime
    not_after: datetime
    revocation: Revocation | None
    added_at: datetime
    added_by: str


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What `import_directory` did."""

    authorities_added: int
    authorities_known: int
    """Authorities of the directory that were trusted already (left as they were)."""
    authorizations: int
    """Authorizations written (new ones, and existing ones whose window was replaced)."""


class TrustRepository:
    """The trust store's tables, read and written inside the caller's session."""

    async def load(self, session: AsyncSession) -> TrustStore:
        """The whole trust store, as the verifier consults it."""
        parsed: dict[str, x509.Certificate] = {}
        authorities = [
            _certificate(row.pem, row.fingerprint, parsed)
            for row in await session.execute(
                select(trust_authorities.c.fingerprint, trust_authorities.c.pem).order_by(
                    trust_authorities.c.fingerprint
                )
            )
        ]
        authorizations = [
            Authorization(
                code=row.org_code,
                certificate=_certificate(row.pem, row.fingerprint, parsed),
                not_before=row.not_before,
                not_after=row.not_after,
            )
            for row in await session.execute(
                select(trust_authorizations).order_by(
                    trust_authorizations.c.org_code, trust_authorizations.c.not_before
                )
            )
        ]
        revocations = [
            Revocation(serial=row.serial, revoked_at=row.revoked_at, reason=row.reason)
            for row in await session.execute(select(trust_revocations))
        ]
        return TrustStore.of(authorities, authorizations, revocations)

    async def revision(self, session: AsyncSession) -> str:
        """A digest of what the trust store says (no certificate parsed): it changes whenever
        an authority, an authorization's window or a revocation changes, so a running node
        reloads the store only then."""
        digest = hashlib.sha256()
        queries = (
            select(trust_authorities.c.fingerprint).order_by(trust_authorities.c.fingerprint),
            select(
                trust_authorizations.c.org_code,
                trust_authorizations.c.fingerprint,
                trust_authorizations.c.not_before,
                trust_authorizations.c.not_after,
            ).order_by(trust_authorizations.c.org_code, trust_authorizations.c.fingerprint),
            select(trust_revocations.c.serial, trust_revocations.c.revoked_at).order_by(
                trust_revocations.c.serial
            ),
        )
        for query in queries:
            for row in await session.execute(query):
                digest.update(repr(tuple(row)).encode())
            digest.update(b"|")
        return digest.hexdigest()

    async def add_authority(
        self, session: AsyncSession, certificate: x509.Certificate, *, actor: str, at: datetime
    ) -> CertificateFacts:
        """Trust a certificate authority (a CA certificate); adding it again changes nothing."""
        _check_time(at, "The time of the change")
        _check_actor(actor)
        if not is_authority(certificate):
            raise TrustError(
                "TRUST_NOT_AN_AUTHORITY",
                f"The certificate {describe(certificate)} is not a certificate authority (its "
                "BasicConstraints does not say CA:TRUE), so it cannot be trusted as one; to let "
                "an agency sign with it, authorize it for its code (axis trust add CODE "
                "CERT.pem) after adding the CA that issued it.",
            )
        described = facts(certificate)
        statement = _insert(session, trust_authorities).values(
            fingerprint=described.fingerprint,
            subject=described.subject,
            serial=described.serial,
            not_before=described.not_before,
            not_after=described.not_after,
            pem=pem(certificate).decode("ascii"),
            added_at=at,
            added_by=actor,
        )
        await session.execute(statement.on_conflict_do_nothing(index_elements=["fingerprint"]))
        return described

    async def has_authority(self, session: AsyncSession, fingerprint: str) -> bool:
        """Whether the authority with this SHA-256 fingerprint is trusted."""
        query = select(trust_authorities.c.fingerprint).where(
            trust_authorities.c.fingerprint == fingerprint
        )
        return (await session.execute(query)).first() is not None

    async def authorities(self, session: AsyncSession) -> list[CertificateFacts]:
        """The trusted certificate authorities, by subject."""
        parsed: dict[str, x509.Certificate] = {}
        rows = await session.execute(
            select(trust_authorities.c.fingerprint, trust_authorities.c.pem).order_by(
                trust_authorities.c.subject, trust_authorities.c.fingerprint
            )
        )
        return [facts(_certificate(row.pem, row.fingerprint, parsed)) for row in rows]

    async def authorize(
        self,
        session: AsyncSession,
        code: str,
        certificate: x509.Certificate,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        actor: str,
        at: datetime,
    ) -> Authorization:
        """Let `certificate` sign for `code` from `not_before` to `not_after` (by default, and at
        most, over the certificate's own validity). Authorizing the same certificate for the
        same code again replaces its window; a second certificate for a code (a rotation) is
        authorized beside the first."""
        check_code(code)
        _check_time(at, "The time of the change")
        _check_actor(actor)
        if not_before is not None:
            _check_time(not_before, "The start of the authorization (not before)")
        if not_after is not None:
            _check_time(not_after, "The end of the authorization (not after)")
        described = describe(certificate)
        if is_authority(certificate):
            raise TrustError(
                "TRUST_NOT_A_SIGNING_CERTIFICATE",
                f"The certificate {described} is a certificate authority (CA:TRUE); an agency "
                "signs with a certificate its CA issued to it. To trust the CA itself, use "
                "axis trust add-ca CA.pem.",
            )
        authorities = await self._authority_certificates(session)
        if not any(is_issued_by(certificate, authority) for authority in authorities):
            raise TrustError(
                "TRUST_ISSUER_UNKNOWN",
                f"The certificate {described} was issued by "
                f"{certificate.issuer.rfc4514_string()}, which is not a trusted certificate "
                "authority of this node; add that CA first (axis trust add-ca CA.pem), then "
                "authorize the certificate.",
            )
        authorization = Authorization.for_certificate(
            code, certificate, not_before=not_before, not_after=not_after
        )
        if authorization.not_after <= authorization.not_before:
            raise TrustError(
                "TRUST_BAD_WINDOW",
                f"The authorization of {described} for {code} would be empty: from "
                f"{authorization.not_before.isoformat()} to {authorization.not_after.isoformat()}"
                " (the window is kept within the certificate's validity, "
                f"{certificate.not_valid_before_utc.isoformat()} to "
                f"{certificate.not_valid_after_utc.isoformat()}); give --not-before and "
                "--not-after that overlap it, the start before the end.",
            )
        described_facts = facts(certificate)
        statement = _insert(session, trust_authorizations).values(
            org_code=code,
            fingerprint=described_facts.fingerprint,
            serial=described_facts.serial,
            subject=described_facts.subject,
            pem=pem(certificate).decode("ascii"),
            not_before=authorization.not_before,
            not_after=authorization.not_after,
            added_at=at,
            added_by=actor,
        )
        # Only the window changes: added_at/added_by keep who first authorized the certificate
        # (every later change is in the audit log).
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["org_code", "fingerprint"],
                set_={
                    "not_before": statement.excluded.not_before,
                    "not_after": statement.excluded.not_after,
                },
            )
        )
        return authorization

    async def revoke(
        self, session: AsyncSession, serial: str, *, at: datetime, reason: str, actor: str
    ) -> Revocation:
        """Revoke the serial number from `at` on; when it was revoked already, the earlier of
        the two times (and its reason) stands. Returns the revocation in force."""
        number = parse_serial(serial)
        if len(number) > _MAX_SERIAL:
            raise TrustError(
                "TRUST_BAD_SERIAL",
                f"{serial!r} has {len(number)} hexadecimal digits, more than the {_MAX_SERIAL} "
                "this node keeps (a certificate serial number has at most 40); check that it was "
                "copied whole and nothing was appended.",
            )
        _check_time(at, "The revocation time")
        _check_actor(actor)
        reason = reason.strip()
        if len(reason) > _MAX_REASON:
            raise TrustError(
                "TRUST_BAD_REASON",
                f"The reason is {len(reason)} characters long; keep it under {_MAX_REASON} (the "
                "details belong in the ticket it refers to).",
            )
        statement = _insert(session, trust_revocations).values(
            serial=number, revoked_at=at, reason=reason, recorded_at=at, recorded_by=actor
        )
        # A later revocation never moves the time forward: packets signed between the two
        # times would otherwise become valid again.
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["serial"],
                set_={
                    "revoked_at": statement.excluded.revoked_at,
                    "reason": statement.excluded.reason,
                    "recorded_at": statement.excluded.recorded_at,
                    "recorded_by": statement.excluded.recorded_by,
                },
                where=statement.excluded.revoked_at < trust_revocations.c.revoked_at,
            )
        )
        row = (
            await session.execute(
                select(trust_revocations).where(trust_revocations.c.serial == number)
            )
        ).one()
        return Revocation(serial=row.serial, revoked_at=row.revoked_at, reason=row.reason)

    async def listing(self, session: AsyncSession, code: str | None = None) -> list[TrustEntry]:
        """Every authorization (or those of one code), by code then start of the window."""
        query = (
            select(
                trust_authorizations,
                trust_revocations.c.revoked_at,
                trust_revocations.c.reason,
            )
            .join_from(
                trust_authorizations,
                trust_revocations,
                trust_revocations.c.serial == trust_authorizations.c.serial,
                isouter=True,
            )
            .order_by(
                trust_authorizations.c.org_code,
                trust_authorizations.c.not_before,
                trust_authorizations.c.fingerprint,
            )
        )
        if code is not None:
            query = query.where(trust_authorizations.c.org_code == code)
        parsed: dict[str, x509.Certificate] = {}
        return [
            TrustEntry(
                code=row.org_code,
                facts=facts(_certificate(row.pem, row.fingerprint, parsed)),
                not_before=row.not_before,
                not_after=row.not_after,
                revocation=(
                    Revocation(serial=row.serial, revoked_at=row.revoked_at, reason=row.reason)
                    if row.revoked_at is not None
                    else None
                ),
                added_at=row.added_at,
                added_by=row.added_by,
            )
            for row in await session.execute(query)
        ]

    async def import_directory(
        self, session: AsyncSession, directory: Path, *, actor: str, at: datetime
    ) -> ImportCounts:
        """Load a trust directory (`ca.pem` and one `CODE.pem` per code, as `axis keys dev-pki`
        writes it): its authorities first, then its authorizations, each over the certificate's
        validity."""
        store = await asyncio.to_thread(load_trust_directory, directory)
        added = known = 0
        for authority in store.authorities:
            if await self.has_authority(session, facts(authority).fingerprint):
                known += 1
                continue
            await self.add_authority(session, authority, actor=actor, at=at)
            added += 1
        for authorization in store.authorizations:
            await self.authorize(
                session, authorization.code, authorization.certificate, actor=actor, at=at
            )
        return ImportCounts(
            authorities_added=added,
            authorities_known=known,
            authorizations=len(store.authorizations),
        )

    async def _authority_certificates(self, session: AsyncSession) -> list[x509.Certificate]:
        parsed: dict[str, x509.Certificate] = {}
        rows = await session.execute(
            select(trust_authorities.c.fingerprint, trust_authorities.c.pem)
        )
        return [_certificate(row.pem, row.fingerprint, parsed) for row in rows]


async def import_audited(
    session: AsyncSession, directory: Path, *, actor: str, at: datetime
) -> ImportCounts:
    """Load a trust directory (`TrustRepository.import_directory`) and write its audit entry,
    both in the caller's transaction."""
    counts = await TrustRepository().import_directory(session, directory, actor=actor, at=at)
    await audit.append(
        session,
        audit.AuditEntry(
            actor=actor,
            action="trust.import",
            target=str(directory.resolve()),
            detail={
                "authorities_added": counts.authorities_added,
                "authorities_known": counts.authorities_known,
                "authorizations": counts.authorizations,
            },
            at=at,
        ),
    )
    return counts


def is_authority(certificate: x509.Certificate) -> bool:
    """Whether the certificate says it is a certificate authority (BasicConstraints CA:TRUE)."""
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def _insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    # ON CONFLICT is spelled alike on both databases, but each dialect has its own construct.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the node supports SQLite and PostgreSQL, not {dialect}")


def _certificate(
    text: str, fingerprint: str, parsed: dict[str, x509.Certificate]
) -> x509.Certificate:
    # One certificate may be authorized for several codes: parse each PEM once per read.
    if fingerprint not in parsed:
        try:
            parsed[fingerprint] = x509.load_pem_x509_certificate(text.encode("ascii"))
        except ValueError as error:
            raise TrustError(
                "TRUST_STORE_CORRUPT",
                f"The stored certificate {fingerprint} cannot be read ({error}); the trust "
                "tables were changed outside axis. Remove that row and add the certificate "
                "again from its PEM file.",
            ) from None
    return parsed[fingerprint]


def _check_time(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise TrustError(
            "TRUST_NAIVE_TIME",
            f"{what} ({value.isoformat()}) has no time zone, so it names no single instant; "
            f"give one, for example {value.isoformat()}+07:00.",
        )


def _check_actor(actor: str) -> None:
    if not actor.strip() or len(actor) > _MAX_ACTOR:
        raise TrustError(
            "TRUST_BAD_ACTOR",
            f"{actor!r} cannot name who made the change: give a name of 1 to {_MAX_ACTOR} "
            "characters (for example user@host).",
        )
