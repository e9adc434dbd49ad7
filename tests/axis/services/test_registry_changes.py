"""One use case for every way a change set is applied (`axis.services.registry_changes`): the
CLI, `/v1` and the SDK's registerAgency/deleteAgency all go through it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from axis.services.registry_changes import apply_change_set
from axis.settings import load_settings
from orgcodes.errors import RegistryCode, RegistryError
from tests.orgcodes.test_store import _baseline_set, _service


async def test_a_follower_refuses_a_change_set_and_stores_nothing(
    sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    service = await _service(sqlite_engine)
    settings = load_settings(data_dir=tmp_path, registry_mode="follower")
    with pytest.raises(RegistryError) as refused:
        await apply_change_set(service, settings, _baseline_set(), actor="test")
    assert refused.value.code is RegistryCode.NOT_AUTHORITY
    assert service.version == 0


async def test_a_change_set_is_stored_with_who_applied_it_and_through_what(
    sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    service = await _service(sqlite_engine)
    settings = load_settings(data_dir=tmp_path, registry_mode="standalone")
    applied = await apply_change_set(
        service, settings, _baseline_set(), actor="client:go", source="api"
    )
    assert applied.record.version == service.version == 1
    assert (applied.record.applied_by, applied.record.source) == ("client:go", "api")
    assert applied.warnings == []  # a standalone node neither snapshots nor publishes
