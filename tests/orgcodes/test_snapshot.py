"""Signed snapshots: what the authority signs loads back whole; anything else is refused with its
own code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.registry import Registry
from orgcodes.resolver import Resolver
from orgcodes.snapshot import read_snapshot, write_snapshot
from tests.orgcodes.test_registry import LONG_AN, baseline, rearrangement
from tests.support.pki import NOW, Pki


@pytest.fixture(scope="module")
def registry() -> Registry:
    return baseline().apply(rearrangement()).registry


@pytest.fixture
def signed(registry: Registry, pki: Pki) -> bytes:
    return write_snapshot(
        registry, key=pki.g22.key, certificate=pki.g22.certificate, created_at=NOW
    )


def _read(data: bytes, pki: Pki, current_version: int = 0) -> Registry:
    loaded, _ = read_snapshot(
        data, authorities=[pki.g22.certificate], at=NOW, current_version=current_version
    )
    return loaded


def _edit(data: bytes, change: Any) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document, ensure_ascii=False).encode()


def _refused(data: bytes, pki: Pki, **kwargs: Any) -> RegistryCode:
    with pytest.raises(RegistryError) as raised:
        _read(data, pki, **kwargs)
    return raised.value.code


def test_a_signed_snapshot_loads_back_the_same_registry(
    registry: Registry, signed: bytes, pki: Pki
) -> None:
    loaded, info = read_snapshot(signed, authorities=[pki.g22.certificate], at=NOW)
    assert (loaded.version, loaded.effective) == (registry.version, registry.effective)
    assert sorted(loaded, key=lambda h: h.code) == sorted(registry, key=lambda h: h.code)
    assert (info.version, info.unit_count, info.signer) == (2, 8, pki.g22.certificate)
    assert Resolver(loaded).resolve(LONG_AN).target == "000.00.00.H53"


def test_a_changed_unit_is_tampering(signed: bytes, pki: Pki) -> None:
    def rename(document: dict[str, Any]) -> None:
        document["states"][0][4] = "forged name"

    assert _refused(_edit(signed, rename), pki) is RegistryCode.SNAPSHOT_TAMPERED


def test_a_changed_manifest_breaks_the_signature(signed: bytes, pki: Pki) -> None:
    def bump(document: dict[str, Any]) -> None:
        document["manifest"]["version"] = 99

    assert _refused(_edit(signed, bump), pki) is RegistryCode.SNAPSHOT_TAMPERED


def test_a_snapshot_signed_by_another_key_is_refused(registry: Registry, pki: Pki) -> None:
    other = write_snapshot(
        registry, key=pki.h41.key, certificate=pki.h41.certificate, created_at=NOW
    )
    assert _refused(other, pki) is RegistryCode.SNAPSHOT_SIGNER_UNTRUSTED


def test_an_unsigned_snapshot_is_refused(signed: bytes, pki: Pki) -> None:
    def strip(document: dict[str, Any]) -> None:
        del document["signature"]

    assert _refused(_edit(signed, strip), pki) is RegistryCode.SNAPSHOT_UNSIGNED


def test_an_older_snapshot_is_refused(signed: bytes, pki: Pki) -> None:
    assert _refused(signed, pki, current_version=3) is RegistryCode.SNAPSHOT_OLDER
    assert _read(signed, pki, current_version=2).version == 2  # the same version reloads


@pytest.mark.parametrize(
    "data", [b"not json", b"[]", b'{"manifest": {"format": "other"}}'], ids=str
)
def test_what_is_not_a_snapshot_is_malformed(data: bytes, pki: Pki) -> None:
    assert _refused(data, pki) is RegistryCode.SNAPSHOT_MALFORMED


def test_without_a_configured_authority_nothing_is_trusted(signed: bytes) -> None:
    with pytest.raises(RegistryError) as raised:
        read_snapshot(signed, authorities=[], at=NOW)
    assert raised.value.code is RegistryCode.NO_AUTHORITY
