"""The trust store kept in the database, on SQLite and PostgreSQL: what is stored loads back as a
`TrustStore` that vouches for exactly that, and what must not be stored is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from axis.devtools.dev_pki import Issued, KeyType, issue, new_authority, write_dev_pki
from axis.migrations.runner import upgrade
from axis.store.db import session_factory
from axis.store.trust_repository import TrustRepository
from axis.store.trust_tables import trust_authorities, trust_authorizations
from signing.certificates import facts, serial_hex
from signing.errors import SignatureCode, SignatureError, TrustError

pytestmark = pytest.mark.integration

H53 = "000.00.12.H53"
H41 = "000.00.00.H41"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ACTOR = "ops@vpcp"
ICT = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Pki:
    ca: Issued
    h53: Issued
    h53_next: Issued
    h41: Issued
    foreign_ca: Issued
    foreign: Issued


@pytest.fixture(scope="module")
def pki() -> Pki:
    # EC keys: generating them costs microseconds, RSA keys tens of milliseconds.
    start, end = NOW - 30 * DAY, NOW + 365 * DAY
    ca = new_authority("Test CA", key_type=KeyType.EC, not_before=NOW - 365 * DAY)
    foreign_ca = new_authority("Foreign CA", key_type=KeyType.EC, not_before=NOW - 365 * DAY)
    return Pki(
        ca=ca,
        h53=issue(ca, H53, key_type=KeyType.EC, not_before=start, not_after=end),
        h53_next=issue(ca, H53, key_type=KeyType.EC, not_before=NOW - 5 * DAY),
        h41=issue(ca, H41, key_type=KeyType.EC, not_before=start, not_after=end),
        foreign_ca=foreign_ca,
        foreign=issue(foreign_ca, H53, key_type=KeyType.EC, not_before=start, not_after=end),
    )


@pytest.fixture
async def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    await upgrade(db_engine)  # the tables exactly as a node gets them
    return session_factory(db_engine)


repository = TrustRepository()


async def _with_ca(sessions: async_sessionmaker[AsyncSession], pki: Pki) -> None:
    async with sessions.begin() as session:
        await repository.add_authority(session, pki.ca.certificate, actor=ACTOR, at=NOW)


async def _refusal(
    sessions: async_sessionmaker[AsyncSession], code: str, *, certificate: Issued, **kwargs: object
) -> TrustError:
    with pytest.raises(TrustError) as caught:
        async with sessions.begin() as session:
            await repository.authorize(
                session,
                code,
                certificate.certificate,
                actor=ACTOR,
                at=NOW,
                **kwargs,  # type: ignore[arg-type]
            )
    return caught.value


async def test_a_stored_trust_store_loads_back_and_vouches_until_revoked(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    async with sessions.begin() as session:
        added = await repository.add_authority(session, pki.ca.certificate, actor=ACTOR, at=NOW)
        granted = await repository.authorize(session, H53, pki.h53.certificate, actor=ACTOR, at=NOW)
    assert added == facts(pki.ca.certificate)
    assert (granted.not_before, granted.not_after) == (NOW - 30 * DAY, NOW + 365 * DAY)

    async with sessions() as session:
        store = await repository.load(session)
    signer = store.signer(pki.h53.certificate, H53, at=NOW)
    assert signer.code == H53
    assert signer.authority == pki.ca.certificate
    (authorization,) = store.authorizations
    assert authorization.not_before.tzinfo is not None  # aware on SQLite too
    assert (authorization.not_before, authorization.not_after) == (
        NOW - 30 * DAY,
        NOW + 365 * DAY,
    )
    with pytest.raises(SignatureError) as other_code:
        store.signer(pki.h53.certificate, H41, at=NOW)
    assert other_code.value.code is SignatureCode.NOT_AUTHORIZED

    revoked_at = (NOW + DAY).astimezone(ICT)  # given in Vietnam's zone, the same instant
    async with sessions.begin() as session:
        revocation = await repository.revoke(
            session,
            serial_hex(pki.h53.certificate.serial_number),
            at=revoked_at,
            reason="key compromised",
            actor=ACTOR,
        )
    assert revocation.revoked_at == NOW + DAY
    async with sessions() as session:
        store = await repository.load(session)
    assert store.signer(pki.h53.certificate, H53, at=NOW).code == H53  # signed before: holds
    with pytest.raises(SignatureError) as after:
        store.signer(pki.h53.certificate, H53, at=NOW + 2 * DAY)
    assert after.value.code is SignatureCode.CERT_REVOKED
    assert "key compromised" in after.value.message


async def test_adding_an_authority_twice_keeps_one_row_and_its_first_author(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    async with sessions.begin() as session:
        await repository.add_authority(session, pki.ca.certificate, actor="first", at=NOW)
    async with sessions.begin() as session:
        assert await repository.has_authority(session, facts(pki.ca.certificate).fingerprint)
        assert not await repository.has_authority(
            session, facts(pki.foreign_ca.certificate).fingerprint
        )
        again = await repository.add_authority(
            session, pki.ca.certificate, actor="second", at=NOW + DAY
        )
    assert again == facts(pki.ca.certificate)
    async with sessions() as session:
        rows = (await session.execute(select(trust_authorities))).all()
        listed = await repository.authorities(session)
    assert [(r.added_by, r.added_at) for r in rows] == [("first", NOW)]
    assert listed == [facts(pki.ca.certificate)]


async def test_a_signing_certificate_is_not_an_authority(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    with pytest.raises(TrustError) as caught:
        async with sessions.begin() as session:
            await repository.add_authority(session, pki.h53.certificate, actor=ACTOR, at=NOW)
    assert caught.value.code == "TRUST_NOT_AN_AUTHORITY"
    assert "axis trust add CODE" in caught.value.message
    async with sessions() as session:
        assert await repository.authorities(session) == []


async def test_a_certificate_from_an_unknown_authority_is_refused(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    await _with_ca(sessions, pki)
    refused = await _refusal(sessions, H53, certificate=pki.foreign)
    assert refused.code == "TRUST_ISSUER_UNKNOWN"
    assert "Foreign CA" in refused.message and "axis trust add-ca" in refused.message
    async with sessions() as session:
        assert await repository.listing(session) == []


async def test_a_certificate_authority_cannot_sign_for_a_code(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    await _with_ca(sessions, pki)
    refused = await _refusal(sessions, H53, certificate=pki.ca)
    assert refused.code == "TRUST_NOT_A_SIGNING_CERTIFICATE"
    assert "add-ca" in refused.message


async def test_windows_outside_the_certificate_or_backwards_are_refused(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    await _with_ca(sessions, pki)
    before_it = await _refusal(
        sessions, H53, certificate=pki.h53, not_after=NOW - 60 * DAY, not_before=None
    )
    backwards = await _refusal(
        sessions, H53, certificate=pki.h53, not_before=NOW + DAY, not_after=NOW
    )
    assert before_it.code == backwards.code == "TRUST_BAD_WINDOW"
    assert "validity" in before_it.message
    naive = await _refusal(
        sessions, H53, certificate=pki.h53, not_before=datetime(2026, 1, 1), not_after=None
    )
    assert naive.code == "TRUST_NAIVE_TIME"
    bad_code = await _refusal(sessions, "../etc", certificate=pki.h53)
    assert bad_code.code == "TRUST_BAD_CODE"
    async with sessions() as session:
        assert await repository.listing(session) == []


async def test_a_rotation_keeps_both_certificates_for_their_overlapping_windows(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    await _with_ca(sessions, pki)
    switch = NOW + 10 * DAY
    async with sessions.begin() as session:
        await repository.authorize(
            session, H53, pki.h53.certificate, not_after=switch, actor=ACTOR, at=NOW
        )
        await repository.authorize(session, H53, pki.h53_next.certificate, actor=ACTOR, at=NOW)
    async with sessions() as session:
        listed = await repository.listing(session, H53)
        store = await repository.load(session)

    old, new = facts(pki.h53.certificate), facts(pki.h53_next.certificate)
    assert [(e.facts.fingerprint, e.not_before, e.not_after) for e in listed] == [
        (old.fingerprint, old.not_before, switch),
        (new.fingerprint, new.not_before, new.not_after),
    ]
    assert store.signer(pki.h53.certificate, H53, at=NOW).certificate == pki.h53.certificate
    assert store.signer(pki.h53_next.certificate, H53, at=NOW).code == H53  # the overlap
    assert store.signer(pki.h53_next.certificate, H53, at=switch + DAY).code == H53
    with pytest.raises(SignatureError) as old_after_switch:
        store.signer(pki.h53.certificate, H53, at=switch + DAY)
    assert old_after_switch.value.code is SignatureCode.CERT_EXPIRED


async def test_authorizing_again_replaces_the_window_not_the_author(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    await _with_ca(sessions, pki)
    async with sessions.begin() as session:
        await repository.authorize(session, H53, pki.h53.certificate, actor="first", at=NOW)
    async with sessions.begin() as session:
        await repository.authorize(
            session,
            H53,
            pki.h53.certificate,
            not_before=NOW.astimezone(ICT),
            not_after=NOW + DAY,
            actor="second",
            at=NOW + DAY,
        )
    async with sessions() as session:
        (entry,) = await repository.listing(session)
        count = (
            await session.execute(select(func.count()).select_from(trust_authorizations))
        ).scalar_one()
    assert count == 1
    assert (entry.not_before, entry.not_after) == (NOW, NOW + DAY)
    assert (entry.added_by, entry.added_at) == ("first", NOW)


async def test_revoking_again_keeps_the_earliest_time_and_its_reason(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    serial = serial_hex(pki.h53.certificate.serial_number)
    written = ":".join(serial.upper()[i : i + 2] for i in range(0, len(serial), 2))
    async with sessions.begin() as session:
        first = await repository.revoke(
            session, serial, at=NOW + 5 * DAY, reason="left", actor=ACTOR
        )
    async with sessions.begin() as session:
        earlier = await repository.revoke(
            session, f"0x{serial}", at=NOW + DAY, reason="key lost", actor=ACTOR
        )
    async with sessions.begin() as session:
        later = await repository.revoke(
            session, written, at=NOW + 9 * DAY, reason="again", actor=ACTOR
        )
    assert (first.revoked_at, first.reason) == (NOW + 5 * DAY, "left")
    assert (earlier.serial, earlier.revoked_at, earlier.reason) == (serial, NOW + DAY, "key lost")
    assert later == earlier
    async with sessions() as session:
        store = await repository.load(session)
    assert store.revocations == (earlier,)

    with pytest.raises(TrustError) as caught:
        async with sessions.begin() as session:
            await repository.revoke(session, "not-hex", at=NOW, reason="", actor=ACTOR)
    assert caught.value.code == "TRUST_BAD_SERIAL"


async def test_the_listing_filters_by_code_and_shows_revocations(
    sessions: async_sessionmaker[AsyncSession], pki: Pki
) -> None:
    await _with_ca(sessions, pki)
    async with sessions.begin() as session:
        await repository.authorize(session, H53, pki.h53.certificate, actor=ACTOR, at=NOW)
        await repository.authorize(session, H41, pki.h41.certificate, actor=ACTOR, at=NOW)
        await repository.revoke(
            session,
            serial_hex(pki.h41.certificate.serial_number),
            at=NOW,
            reason="agency merged",
            actor=ACTOR,
        )
    async with sessions() as session:
        everything = await repository.listing(session)
        h41_only = await repository.listing(session, H41)
        unknown = await repository.listing(session, "000.00.00.Z99")

    assert [e.code for e in everything] == [H41, H53]  # by code
    (h41,) = h41_only
    assert h41.facts == facts(pki.h41.certificate)
    assert h41.revocation is not None
    assert (h41.revocation.revoked_at, h41.revocation.reason) == (NOW, "agency merged")
    assert everything[1].revocation is None
    assert unknown == []


async def test_a_dev_pki_directory_imports_once(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    directory = tmp_path / "pki"
    write_dev_pki(directory, [H53, H41], key_type=KeyType.EC)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        first = await repository.import_directory(session, directory, actor=ACTOR, at=now)
    async with sessions.begin() as session:
        second = await repository.import_directory(session, directory, actor=ACTOR, at=now)
    assert (first.authorities_added, first.authorities_known, first.authorizations) == (1, 0, 2)
    assert (second.authorities_added, second.authorities_known, second.authorizations) == (0, 1, 2)

    async with sessions() as session:
        listed = await repository.listing(session)
        store = await repository.load(session)
    assert [e.code for e in listed] == [H41, H53]
    assert [e.facts.subject_code for e in listed] == [H41, H53]
    h53 = next(a.certificate for a in store.authorizations if a.code == H53)
    assert store.signer(h53, H53, at=now).code == H53

    with pytest.raises(TrustError) as caught:
        async with sessions.begin() as session:
            await repository.import_directory(session, tmp_path / "absent", actor=ACTOR, at=now)
    assert caught.value.code == "TRUST_DIRECTORY_INVALID"
