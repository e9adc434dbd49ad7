"""The evidence log: hash chains that break visibly when anything is altered."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.store.db import session_factory
from routing.evidence import (
    GENESIS,
    ChainEntry,
    Evidence,
    EvidenceLog,
    evidence_log,
    link,
    metadata,
    verify,
)

T0 = datetime(2025, 7, 1, 1, 2, 3, tzinfo=UTC)


def facts(n: int, kind: str = "delivered") -> list[Evidence]:
    return [
        Evidence(kind, f"m{i}", "000.00.00.H53", f"{i:064x}", T0 + timedelta(seconds=i), "Tây Ninh")
        for i in range(n)
    ]


def chain_of(items: list[Evidence]) -> list[ChainEntry]:
    entries, previous = [], GENESIS
    for seq, fact in enumerate(items, start=1):
        digest = link(previous, fact)
        entries.append(ChainEntry(0, seq, fact, previous, digest))
        previous = digest
    return entries


def test_an_untouched_chain_verifies() -> None:
    entries = chain_of(facts(5))
    report = verify(0, entries)
    assert report.intact and report.entries == 5 and report.head == entries[-1].hash


def test_the_hash_covers_every_field_and_the_time_zone_does_not_matter() -> None:
    fact = facts(1)[0]
    base = link(GENESIS, fact)
    for changed in (replace(fact, kind="accepted"), replace(fact, party="x"),
                    replace(fact, packet_sha256="f" * 64), replace(fact, detail=""),
                    replace(fact, at=fact.at + timedelta(microseconds=1))):  # fmt: skip
        assert link(GENESIS, changed) != base
    vietnam = fact.at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert link(GENESIS, replace(fact, at=vietnam)) == base


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda es: [*es[:2], replace(es[2], evidence=replace(es[2].evidence, party="forged")),
                     *es[3:]], "altered"),
        (lambda es: es[:2] + es[3:], "missing"),
        (lambda es: [es[0], es[2], es[1], *es[3:]], "missing"),
    ],
)  # fmt: skip
def test_altering_removing_or_reordering_an_entry_is_caught(tamper: object, reason: str) -> None:
    entries = chain_of(facts(6))
    report = verify(0, tamper(entries))  # type: ignore[operator]
    assert not report.intact
    assert reason in report.reason


def test_rewriting_an_entry_and_its_hash_still_breaks_the_next_link() -> None:
    entries = chain_of(facts(4))
    forged = replace(entries[1].evidence, packet_sha256="e" * 64)
    entries[1] = replace(entries[1], evidence=forged, hash=link(entries[1].previous, forged))
    report = verify(0, entries)
    assert report.broken_at == 3
    assert "does not point at the entry before it" in report.reason


@pytest.mark.integration
async def test_chains_in_the_database_append_verify_and_reveal_tampering(
    db_engine: AsyncEngine,
) -> None:
    async with db_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    log = EvidenceLog()
    sessions = session_factory(db_engine)
    async with sessions.begin() as session:
        await log.append(session, 0, facts(3, "accepted"))
        await log.append(session, 1, facts(2))
    async with sessions.begin() as session:
        appended = await log.append(session, 0, facts(2, "acknowledged"))
    assert [e.seq for e in appended] == [4, 5]

    async with sessions() as session:
        reports = await log.verify_all(session, batch=2)
        proof = await log.proof(session, "m1")
    assert [(r.chain, r.entries, r.intact) for r in reports] == [(0, 5, True), (1, 2, True)]
    assert {(e.chain, e.evidence.kind) for e in proof} == {
        (0, "accepted"),
        (0, "acknowledged"),
        (1, "delivered"),
    }
    assert proof[0].evidence.detail == "Tây Ninh"

    async with db_engine.begin() as conn:
        await conn.execute(
            update(evidence_log).where(evidence_log.c.chain == 0, evidence_log.c.seq == 2)
            .values(party="000.00.00.G22")
        )  # fmt: skip
        await conn.execute(
            delete(evidence_log).where(evidence_log.c.chain == 1, evidence_log.c.seq == 1)
        )
    async with sessions() as session:
        reports = await log.verify_all(session)
    assert [(r.chain, r.broken_at) for r in reports] == [(0, 2), (1, 2)]
