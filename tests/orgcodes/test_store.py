"""The registry in the database, on SQLite and PostgreSQL: what is applied loads back the same,
a refused change set stores nothing, and two processes never apply to a stale copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.migrations.runner import upgrade
from axis.store.db import session_factory
from orgcodes.changes import ChangeSet
from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.service import RegistryService
from tests.orgcodes.test_registry import (
    COMMUNE_A,
    COMMUNE_NEW,
    LONG_AN,
    T2020,
    TAY_NINH,
    baseline,
    change_set,
    rearrangement,
    unit,
)

pytestmark = pytest.mark.integration

CLOCK = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def _service(engine: AsyncEngine, clock: datetime = CLOCK) -> RegistryService:
    await upgrade(engine)
    service = RegistryService(session_factory(engine), clock=lambda: clock)
    await service.load()
    return service


def _baseline_set() -> ChangeSet:
    """The test baseline as one change set (the registry test builds it the same way)."""
    return change_set(
        *[{"op": "create", "unit": {"code": s.code, "name": s.name, "parent": s.parent,
                                     "level": s.level}}
          for s in sorted((h.current for h in baseline()), key=lambda s: s.level)],
        effective=T2020,
    )  # fmt: skip


async def test_what_is_applied_loads_back_the_same(db_engine: AsyncEngine) -> None:
    writer = await _service(db_engine)
    first = await writer.apply(_baseline_set(), actor="vpcp")
    second = await writer.apply(rearrangement(), actor="vpcp")
    assert (first.version, second.version) == (1, 2)

    reader = await _service(db_engine)
    assert reader.version == 2
    assert sorted(reader.registry, key=lambda h: h.code) == sorted(
        writer.registry, key=lambda h: h.code
    )
    assert reader.resolve(LONG_AN).target == TAY_NINH
    assert reader.resolve(COMMUNE_A, datetime(2025, 1, 1, tzinfo=UTC)).target == COMMUNE_A
    assert reader.resolve(COMMUNE_A).target == COMMUNE_NEW

    async with reader.sessions() as session:
        logged = await reader.store.versions(session)
        pending = await reader.store.unpublished(session)
    assert [r.version for r in logged] == [1, 2]
    assert logged[1].payload == rearrangement().dumps()
    assert [r.version for r in pending] == [1, 2]


async def test_a_refused_change_set_stores_nothing(db_engine: AsyncEngine) -> None:
    service = await _service(db_engine)
    await service.apply(_baseline_set(), actor="vpcp")
    broken = change_set(unit("000.03.50.H53", "new", TAY_NINH, 3),
                        {"op": "close", "code": "000.00.00.H99"})  # fmt: skip
    with pytest.raises(RegistryError) as raised:
        await service.apply(broken, actor="vpcp")
    assert (raised.value.code, raised.value.change) == (RegistryCode.UNKNOWN_UNIT, 1)
    fresh = await _service(db_engine)
    assert fresh.version == 1
    assert "000.03.50.H53" not in fresh.registry


async def test_a_second_process_applies_to_the_stored_registry_not_its_stale_copy(
    db_engine: AsyncEngine,
) -> None:
    first = await _service(db_engine)
    second = await _service(db_engine)  # both hold version 0
    await first.apply(_baseline_set(), actor="vpcp")
    record = await second.apply(rearrangement(), actor="other")
    assert record.version == 2
    assert second.resolve(LONG_AN).target == TAY_NINH
    assert await first.refresh() is True
    assert first.version == 2


async def test_status_reports_version_age_and_counts(db_engine: AsyncEngine) -> None:
    service = await _service(db_engine)
    empty = await service.status(timedelta(hours=1))
    assert (empty.version, empty.degraded) == (0, True)
    await service.apply(_baseline_set(), actor="vpcp")
    await service.apply(rearrangement(), actor="vpcp")

    later = await _service(db_engine, CLOCK + timedelta(minutes=90))
    status = await later.status(timedelta(hours=1))
    assert status.version == 2
    assert status.age == timedelta(minutes=90)
    assert status.degraded
    assert status.counts == {"active": 3, "closed": 5, "future": 0}
    await later.mark_synced()
    assert not (await later.status(timedelta(hours=1))).degraded
