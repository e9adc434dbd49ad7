"""The tamper-evident log of what the axis accepted and delivered: hash chains that prove, later,
that a packet with a given SHA-256 was accepted from a sender or delivered to a recipient.

Each entry's hash covers the previous entry's hash and the entry's own fields in a canonical
JSON form, so changing, removing or reordering any entry breaks every hash after it. Entries are
kept in several independent chains (one per writer stream, e.g. per Kafka partition) so that
parallel workers never wait on one global head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

GENESIS = "0" * 64
"""The `previous` hash of a chain's first entry."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact worth proving later."""

    kind: str
    """What happened: accepted, delivered, fetched, acknowledged, dead_lettered, replayed..."""
    message_id: str
    party: str
    """The sender (for accepted) or the recipient (for the rest)."""
    packet_sha256: str
    at: datetime
    detail: str = ""

    def canonical(self) -> bytes:
        return json.dumps(
            {
                "kind": self.kind,
                "message_id": self.message_id,
                "party": self.party,
                "packet_sha256": self.packet_sha256,
                "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
                "detail": self.detail,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")


def link(previous: str, evidence: Evidence) -> str:
    """The hash of an entry that follows the entry whose hash is `previous`."""
    return hashlib.sha256(bytes.fromhex(previous) + evidence.canonical()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainEntry:
    chain: int
    seq: int
    evidence: Evidence
    previous: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain: int
    entries: int
    head: str
    broken_at: int | None = None
    """Sequence number of the first entry that does not verify; None when the chain is whole."""
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


class ChainVerifier:
    """Recomputes one chain entry by entry (in sequence order), remembering the first break."""

    def __init__(self, chain: int) -> None:
        self.chain = chain
        self._previous = GENESIS
        self._count = 0
        self._broken: tuple[int, str] | None = None

    def feed(self, entry: ChainEntry) -> None:
        if self._broken is not None:
            return
        self._count += 1
        if entry.seq != self._count:
            self._broken = (entry.seq, f"entry {self._count} is missing (found {entry.seq})")
        elif entry.previous != self._previous:
            self._broken = (entry.seq, "it does not point at the entry before it")
        elif link(self._previous, entry.evidence) != entry.hash:
            self._broken = (entry.seq, "its content does not match its hash (altered)")
        else:
            self._previous = entry.hash

    def report(self) -> ChainReport:
        if self._broken is None:
            return ChainReport(self.chain, self._count, self._previous)
        return ChainReport(self.chain, self._count, self._previous, *self._broken)


def verify(chain: int, entries: Iterable[ChainEntry]) -> ChainReport:
    """Recompute a chain from its first entry and report the first break."""
    verifier = ChainVerifier(chain)
    for entry in entries:
        verifier.feed(entry)
    return verifier.report()


metadata = MetaData()

evidence_log = Table(
    "evidence_log",
    metadata,
    Column("chain", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("message_id", String(64), nullable=False, index=True),
    Column("party", String(64), nullable=False),
    Column("packet_sha256", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=False),
    Column("previous", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("chain", "seq", name="pk_evidence_log"),
)


class EvidenceLog:
    """Appends to and verifies the chains stored in the node database."""

    async def append(
        self, session: AsyncSession, chain: int, facts: Sequence[Evidence]
    ) -> list[ChainEntry]:
        """Append `facts` to `chain` inside the caller's transaction.

        Two writers on the same chain would fork it: the primary key (chain, seq) makes the
        second one fail, and its transaction (with the work it records) is retried by the caller.
        """
        head = (
            await session.execute(
                select(evidence_log.c.seq, evidence_log.c.hash)
                .where(evidence_log.c.chain == chain)
                .order_by(evidence_log.c.seq.desc())
                .limit(1)
            )
        ).first()
        seq, previous = (int(head.seq), str(head.hash)) if head is not None else (0, GENESIS)
        entries = []
        for fact in facts:
            seq += 1
            digest = link(previous, fact)
            entries.append(ChainEntry(chain, seq, fact, previous, digest))
            previous = digest
        if entries:
            await session.execute(
                evidence_log.insert(),
                [
                    {
                        "chain": e.chain, "seq": e.seq, "kind": e.evidence.kind,
                        "message_id": e.evidence.message_id, "party": e.evidence.party,
                        "packet_sha256": e.evidence.packet_sha256, "at": e.evidence.at,
                        "detail": e.evidence.detail, "previous": e.previous, "hash": e.hash,
                    }
                    for e in entries
                ],
            )  # fmt: skip
        return entries

    async def verify_all(self, session: AsyncSession, *, batch: int = 5000) -> list[ChainReport]:
        """Verify every chain, reading it in batches (memory stays bounded)."""
        chains = (
            (await session.execute(select(evidence_log.c.chain).distinct().order_by("chain")))
            .scalars()
            .all()
        )
        return [await self._verify_chain(session, chain, batch) for chain in chains]

    async def _verify_chain(self, session: AsyncSession, chain: int, batch: int) -> ChainReport:
        verifier = ChainVerifier(chain)
        after = 0
        while True:
            rows = (
                await session.execute(
                    select(evidence_log)
                    .where(evidence_log.c.chain == chain, evidence_log.c.seq > after)
                    .order_by(evidence_log.c.seq)
                    .limit(batch)
                )
            ).mappings().all()  # fmt: skip
            if not rows:
                return verifier.report()
            for row in rows:
                verifier.feed(_entry(row))
            after = int(rows[-1]["seq"])

    async def proof(self, session: AsyncSession, message_id: str) -> list[ChainEntry]:
        """Every entry about one message (what a dispute needs, with the chain to check it)."""
        rows = (
            await session.execute(
                select(evidence_log)
                .where(evidence_log.c.message_id == message_id)
                .order_by(evidence_log.c.chain, evidence_log.c.seq)
            )
        ).mappings().all()  # fmt: skip
        return [_entry(row) for row in rows]


def _entry(row: object) -> ChainEntry:
    values = dict(row)  # type: ignore[call-overload]
    at: datetime = values["at"]
    return ChainEntry(
        chain=int(values["chain"]),
        seq=int(values["seq"]),
        evidence=Evidence(
            kind=values["kind"], message_id=values["message_id"], party=values["party"],
            packet_sha256=values["packet_sha256"],
            at=at if at.tzinfo else at.replace(tzinfo=UTC), detail=values["detail"],
        ),
        previous=values["previous"],
        hash=values["hash"],
    )  # fmt: skip
