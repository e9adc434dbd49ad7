"""The payload store: large packets in chunks, addressed by SHA-256, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.store.db import session_factory
from routing.payloads import (
    PayloadCorrupt,
    PayloadNotFound,
    PayloadRef,
    PayloadStore,
    PayloadTooLarge,
    metadata,
    payload_chunks,
    payloads,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(db_engine: AsyncEngine) -> PayloadStore:
    async with db_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return PayloadStore(session_factory(db_engine), chunk_size=1000, max_size=50_000)


async def _pieces(data: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    position = 0
    for size in sizes:
        yield data[position : position + size]
        position += size
    yield data[position:]


async def test_bytes_come_back_identical_in_bounded_chunks(store: PayloadStore) -> None:
    data = os.urandom(4321)
    ref = await store.put(data)
    assert ref == PayloadRef(sha256=hashlib.sha256(data).hexdigest(), size=4321)
    assert ref.uri == "axis-payload:sha256:" + hashlib.sha256(data).hexdigest()
    chunks = [chunk async for chunk in store.iter_chunks(ref)]
    assert [len(c) for c in chunks] == [1000, 1000, 1000, 1000, 321]
    assert b"".join(chunks) == data
    assert await store.read(ref) == data


async def test_a_stream_in_uneven_pieces_is_stored_like_the_same_bytes(
    store: PayloadStore, db_engine: AsyncEngine
) -> None:
    data = os.urandom(3500)
    streamed = await store.put(_pieces(data, [1, 999, 1700, 3]))
    again = await store.put(data)
    assert streamed == again
    assert await store.read(streamed) == data
    async with db_engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(payloads))).scalar_one()
    assert rows == 1  # the second copy was discarded


async def test_an_empty_payload_is_a_payload(store: PayloadStore) -> None:
    ref = await store.put(b"")
    assert ref.size == 0
    assert await store.read(ref) == b""


async def test_a_damaged_chunk_is_detected(store: PayloadStore, db_engine: AsyncEngine) -> None:
    ref = await store.put(b"x" * 2500)
    async with db_engine.begin() as conn:
        await conn.execute(
            update(payload_chunks).where(payload_chunks.c.seq == 1).values(data=b"y" * 1000)
        )
    with pytest.raises(PayloadCorrupt, match="read back as 2500 bytes"):
        await store.read(ref)


async def test_missing_and_oversized_payloads_are_refused(store: PayloadStore) -> None:
    with pytest.raises(PayloadNotFound):
        await store.read(PayloadRef(sha256="0" * 64, size=1))
    with pytest.raises(PayloadTooLarge):
        await store.put(b"z" * 50_001)
    # The refused upload left nothing behind.
    assert not await store.exists(PayloadRef(hashlib.sha256(b"z" * 50_001).hexdigest(), 50_001))


async def test_delete_removes_the_chunks(store: PayloadStore, db_engine: AsyncEngine) -> None:
    ref = await store.put(b"a" * 1500)
    assert await store.delete(ref)
    assert not await store.delete(ref)
    async with db_engine.connect() as conn:
        left = (await conn.execute(select(func.count()).select_from(payload_chunks))).scalar_one()
    assert left == 0


def test_references_are_parsed_strictly() -> None:
    digest = "ab" * 32
    assert PayloadRef.from_uri("axis-payload:sha256:" + digest, 5) == PayloadRef(digest, 5)
    for bad in ("axis-payload:sha256:xyz", "http://example/x", "axis-payload:sha256:" + "AB" * 32):
        with pytest.raises(PayloadNotFound):
            PayloadRef.from_uri(bad, 1)
