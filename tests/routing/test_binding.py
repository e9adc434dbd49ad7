"""The binding log's meaning (pure): the first claim binds, a rebind moves only what it names."""

from __future__ import annotations

import pytest

from routing.binding import BindingRecord, NotABindingRecord, current_binding


def claim(database_id: str) -> BindingRecord:
    return BindingRecord.claim(database_id, f"sqlite+aiosqlite:///{database_id}.db", "node-1")


def rebind(database_id: str, previous: str) -> BindingRecord:
    return BindingRecord.rebind(
        database_id, f"postgresql+asyncpg://axis@db/{database_id}", "node-2",
        previous=previous, actor="ops@host", reason="moved to PostgreSQL",
    )  # fmt: skip


def test_an_empty_log_binds_nothing() -> None:
    assert current_binding([]) is None


def test_the_first_claim_binds_and_later_claims_lost_the_race() -> None:
    first = claim("a")
    binding = current_binding([first, claim("b"), claim("a")])
    assert binding is not None
    assert (binding.database_id, binding.record.record_id) == ("a", first.record_id)


def test_a_rebind_moves_the_binding_only_from_the_database_it_names() -> None:
    moved = rebind("b", previous="a")
    binding = current_binding([claim("a"), moved, rebind("c", previous="a")])
    assert binding is not None
    assert binding.record == moved  # the second rebind named "a", no longer bound
    assert "rebound from a by node node-2 by ops@host" in binding.describe()
    assert current_binding([rebind("b", previous="a")]) is None  # nothing bound to move


def test_records_round_trip_and_anything_else_is_not_a_record() -> None:
    record = rebind("b", previous="a")
    assert BindingRecord.from_bytes(record.to_bytes()) == record
    for junk in (b"", b"[]", b"{}", b'{"kind": "steal"}', b"\xff"):
        with pytest.raises(NotABindingRecord, match=r"^not a binding record: "):
            BindingRecord.from_bytes(junk)
