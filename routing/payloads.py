"""Large packets, stored once outside Kafka: chunked rows in the node database, addressed by
SHA-256, streamed in and out so that a 50 MB packet never sits in memory several times.

Kafka records carry a reference (`axis-payload:sha256:<hex>` and the size) instead of the bytes,
so the broker's message size never limits a packet. The database is the one store every node of
an axis shares; chunks of 1 MiB keep each row and each read small on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from routing.sql import insert_once

URI_PREFIX = "axis-payload:sha256:"
DEFAULT_CHUNK_SIZE = 1024 * 1024

metadata = MetaData()
"""Tables of the routing package (constraint names are explicit, for the migrations)."""

payloads = Table(
    "payloads",
    metadata,
    Column("id", String(32), nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("size", BigInteger, nullable=False, default=0),
    Column("chunk_count", Integer, nullable=False, default=0),
    Column("complete", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="pk_payloads"),
    UniqueConstraint("sha256", name="uq_payloads_sha256"),
)

payload_chunks = Table(
    "payload_chunks",
    metadata,
    Column("payload_id", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("payload_id", "seq", name="pk_payload_chunks"),
    ForeignKeyConstraint(
        ["payload_id"], ["payloads.id"], ondelete="CASCADE",
        name="fk_payload_chunks_payload_id_payloads",
    ),
)  # fmt: skip


class PayloadError(Exception):
    """Base of the payload store's errors; `code` is machine-readable."""

    code = "PAYLOAD_ERROR"


class PayloadNotFound(PayloadError):
    code = "PAYLOAD_NOT_FOUND"


class PayloadCorrupt(PayloadError):
    code = "PAYLOAD_CORRUPT"


class PayloadTooLarge(PayloadError):
    code = "PAYLOAD_TOO_LARGE"


@dataclass(frozen=True, slots=True)
class PayloadRef:
    """A stored payload: its SHA-256 (hex) and size in bytes."""

    sha256: str
    size: int

    @property
    def uri(self) -> str:
        return URI_PREFIX + self.sha256

    @classmethod
    def from_uri(cls, uri: str, size: int) -> PayloadRef:
        digest = uri.removeprefix(URI_PREFIX)
        if not uri.startswith(URI_PREFIX) or len(digest) != 64 or not _is_hex(digest):
            raise PayloadNotFound(f"{uri!r} is not a payload reference ({URI_PREFIX}<64 hex>)")
        return cls(sha256=digest, size=size)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


class PayloadStore:
    """Puts and streams payloads; content-addressed, so storing the same bytes twice is free."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_size: int = 256 * 1024 * 1024,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self._sessions = sessions
        self._chunk_size = chunk_size
        self._max_size = max_size

    async def put(self, source: bytes | AsyncIterable[bytes]) -> PayloadRef:
        """Store the bytes of `source` (one transaction; nothing is visible before it commits)."""
        upload_id = uuid.uuid4().hex
        digest = hashlib.sha256()
        size = 0
        seq = 0
        ref: PayloadRef | None = None
        async with self._sessions() as session:
            try:
                await session.execute(
                    payloads.insert().values(
                        id=upload_id, sha256=None, size=0, chunk_count=0, complete=False,
                        created_at=datetime.now(UTC),
                    )
                )  # fmt: skip
                async for chunk in _rechunk(source, self._chunk_size):
                    size += len(chunk)
                    if size > self._max_size:
                        raise PayloadTooLarge(
                            f"payload exceeds the store's limit of {self._max_size} bytes"
                        )
                    digest.update(chunk)
                    await session.execute(
                        payload_chunks.insert().values(payload_id=upload_id, seq=seq, data=chunk)
                    )
                    seq += 1
                ref = PayloadRef(sha256=digest.hexdigest(), size=size)
                if await self._find(session, ref.sha256) is not None:
                    # Same bytes stored before: this transaction's copy is discarded.
                    await session.rollback()
                    return ref
                await session.execute(
                    update(payloads)
                    .where(payloads.c.id == upload_id)
                    .values(sha256=ref.sha256, size=size, chunk_count=seq, complete=True)
                )
                await session.commit()
                return ref
            except IntegrityError:
                await session.rollback()
                if ref is None:
                    raise
                # Another node stored the same bytes concurrently: theirs is as good.
                return ref
            except BaseException:
                await session.rollback()
                raise

    async def put_small(self, session: AsyncSession, blobs: Sequence[bytes]) -> list[PayloadRef]:
        """Store payloads of at most one chunk each inside the caller's transaction.

        The delivery worker lands a whole batch of packets with their inbox rows in one
        transaction this way, in two statements, instead of a transaction per packet. A row's id
        is derived from its digest, so storing the same bytes twice, even concurrently, keeps
        one copy (the second insert does nothing).
        """
        refs = [PayloadRef(sha256=hashlib.sha256(b).hexdigest(), size=len(b)) for b in blobs]
        if any(len(b) > self._chunk_size for b in blobs):
            raise ValueError(f"put_small takes payloads of at most {self._chunk_size} bytes")
        if not refs:
            return refs
        now = datetime.now(UTC)
        await session.execute(
            insert_once(session, payloads),
            [
                {"id": r.sha256[:32], "sha256": r.sha256, "size": r.size,
                 "chunk_count": 1 if r.size else 0, "complete": True, "created_at": now}
                for r in refs
            ],
        )  # fmt: skip
        chunks = [
            {"payload_id": r.sha256[:32], "seq": 0, "data": b}
            for r, b in zip(refs, blobs, strict=True)
            if b
        ]
        if chunks:
            await session.execute(insert_once(session, payload_chunks), chunks)
        return refs

    @property
    def chunk_size(self) -> int:
        return self._chunk_size

    async def exists(self, ref: PayloadRef) -> bool:
        async with self._sessions() as session:
            return await self._find(session, ref.sha256) is not None

    async def iter_chunks(self, ref: PayloadRef) -> AsyncIterator[bytes]:
        """Yield the payload chunk by chunk, checking size and SHA-256 at the end: a consumer
        must not act on the bytes before the iteration finishes without error. Each chunk is
        read in a session of its own, so a slow reader holds no database connection."""
        async with self._sessions() as session:
            found = await self._find(session, ref.sha256)
        if found is None:
            raise PayloadNotFound(f"no stored payload {ref.uri}")
        payload_id, chunk_count = found
        digest = hashlib.sha256()
        size = 0
        for seq in range(chunk_count):
            async with self._sessions() as session:
                data = (
                    await session.execute(
                        select(payload_chunks.c.data).where(
                            payload_chunks.c.payload_id == payload_id, payload_chunks.c.seq == seq
                        )
                    )
                ).scalar_one_or_none()
            if data is None:
                raise PayloadCorrupt(f"payload {ref.uri} misses chunk {seq} of {chunk_count}")
            digest.update(data)
            size += len(data)
            yield bytes(data)
        if size != ref.size or digest.hexdigest() != ref.sha256:
            raise PayloadCorrupt(
                f"payload {ref.uri} read back as {size} bytes with SHA-256 {digest.hexdigest()}, "
                f"expected {ref.size} bytes"
            )

    async def read(self, ref: PayloadRef) -> bytes:
        """The whole payload in memory (for packets that are small enough to hold)."""
        if ref.size > self._max_size:
            raise PayloadTooLarge(f"payload {ref.uri} is {ref.size} bytes")
        buffer = bytearray()
        async for chunk in self.iter_chunks(ref):
            buffer += chunk
        return bytes(buffer)

    async def delete(self, ref: PayloadRef) -> bool:
        async with self._sessions.begin() as session:
            found = await self._find(session, ref.sha256)
            if found is None:
                return False
            await session.execute(
                delete(payload_chunks).where(payload_chunks.c.payload_id == found[0])
            )
            await session.execute(delete(payloads).where(payloads.c.id == found[0]))
            return True

    @staticmethod
    async def _find(session: AsyncSession, sha256: str) -> tuple[str, int] | None:
        row = (
            await session.execute(
                select(payloads.c.id, payloads.c.chunk_count).where(
                    payloads.c.sha256 == sha256, payloads.c.complete.is_(True)
                )
            )
        ).first()
        return (str(row.id), int(row.chunk_count)) if row is not None else None


async def _rechunk(source: bytes | AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """Cut the source into chunks of exactly `size` bytes (the last one shorter)."""
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        return
    pending = bytearray()
    async for piece in source:
        pending += piece
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)
