"""Signed snapshots of the whole registry: written by the registry authority, and verified
before any node loads one.

A snapshot is one JSON document::

    {"manifest": {"format": "axis-registry-snapshot/1", "version": 42,
                  "effective": "...", "created_at": "...", "fields": [...],
                  "unit_count": 120000, "state_count": 131000,
                  "content_sha256": "<hex SHA-256 of the canonical JSON of states>"},
     "signature": {"algorithm": "rsa-sha256", "certificate": "<PEM>", "value": "<base64>"},
     "states": [[...], ...]}

The signature (`signing.detached`) covers the canonical JSON of the manifest (sorted keys, no
spaces, UTF-8), and the manifest carries the hash of the canonical JSON of `states`; so the
states are covered too, and a reader checks the cheap hash before it builds anything. Each
state is an array in the order of `fields`, with times as epoch milliseconds: the file for the
national directory stays in the tens of megabytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509

from orgcodes.errors import RegistryCode, RegistryError
from orgcodes.model import Contact, DeliveryMode, UnitHistory, UnitState, UnitStatus, from_ms, to_ms
from orgcodes.registry import Registry
from signing.certificates import PrivateKey, describe
from signing.detached import DetachedSignature, sign_detached, verify_detached
from signing.errors import SignatureCode, SignatureError

FORMAT = "axis-registry-snapshot/1"
FIELDS = (
    "code",
    "version",
    "since",
    "until",
    "name",
    "parent",
    "level",
    "status",
    "alt_code",
    "successors",
    "old_codes",
    "home_axis",
    "delivery_mode",
    "endpoint",
    "email",
    "phone",
    "fax",
    "address",
)
MAX_SNAPSHOT_BYTES = 1 << 30
"""A snapshot larger than 1 GiB is refused before it is parsed."""


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """What a verified snapshot says about itself."""

    version: int
    effective: datetime
    created_at: datetime
    unit_count: int
    signer: x509.Certificate


def _canonical(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def write_snapshot(
    registry: Registry,
    *,
    key: PrivateKey,
    certificate: x509.Certificate,
    created_at: datetime,
) -> bytes:
    """The whole registry as a snapshot signed with the registry authority's key."""
    states = [_state_row(state) for history in registry for state in history.states]
    states.sort(key=lambda row: (row[0], row[1]))
    content = _canonical(states)
    manifest = {
        "format": FORMAT,
        "version": registry.version,
        "effective": registry.effective.isoformat(),
        "created_at": created_at.isoformat(),
        "fields": list(FIELDS),
        "unit_count": len(registry),
        "state_count": len(states),
        "content_sha256": hashlib.sha256(content).hexdigest(),
    }
    signature = sign_detached(_canonical(manifest), key, certificate)
    head = _canonical({"manifest": manifest, "signature": signature.to_json()})
    # The states are spliced in as they were hashed, rather than dumped a second time.
    return head[:-1] + b',"states":' + content + b"}"


def read_snapshot(
    data: bytes,
    *,
    authorities: Sequence[x509.Certificate],
    at: datetime,
    current_version: int = 0,
) -> tuple[Registry, SnapshotInfo]:
    """The registry in `data`, once the snapshot is shown to be whole, signed by one of the
    `authorities` (valid at `at`) and not older than `current_version`."""
    if not authorities:
        raise RegistryError(
            RegistryCode.NO_AUTHORITY,
            "no registry authority certificate is configured, so no snapshot can be trusted; "
            "set AXIS_REGISTRY_AUTHORITY_CERT to the Government Office's registry certificate",
        )
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise _malformed(f"the snapshot is larger than {MAX_SNAPSHOT_BYTES >> 20} MiB")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise _malformed(f"the snapshot is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("manifest"), dict):
        raise _malformed("the snapshot has no manifest object")
    manifest: dict[str, Any] = document["manifest"]
    if manifest.get("format") != FORMAT:
        raise _malformed(f"the snapshot's format is {manifest.get('format')!r}, not {FORMAT!r}")
    if "signature" not in document:
        raise RegistryError(
            RegistryCode.SNAPSHOT_UNSIGNED,
            "the snapshot carries no signature; only snapshots signed by the registry "
            "authority are loaded",
        )
    states = document.get("states")
    if not isinstance(states, list):
        raise _malformed("the snapshot has no list of states")
    if hashlib.sha256(_canonical(states)).hexdigest() != manifest.get("content_sha256"):
        raise RegistryError(
            RegistryCode.SNAPSHOT_TAMPERED,
            "the snapshot's units do not match the content hash in its signed manifest: the "
            "file was changed after it was signed",
        )
    signer = _verify(manifest, document["signature"], authorities, at)
    info = _info(manifest, signer)
    if info.version < current_version:
        raise RegistryError(
            RegistryCode.SNAPSHOT_OLDER,
            f"the snapshot is of registry version {info.version}, older than version "
            f"{current_version} that this node holds; get the latest snapshot",
        )
    registry = _registry(states, manifest, info)
    return registry, info


def _verify(
    manifest: dict[str, Any], raw: object, authorities: Sequence[x509.Certificate], at: datetime
) -> x509.Certificate:
    try:
        signature = DetachedSignature.from_json(raw)
        return verify_detached(_canonical(manifest), signature, authorities, at=at)
    except SignatureError as error:
        if error.code is SignatureCode.VALUE_MISMATCH:
            raise RegistryError(
                RegistryCode.SNAPSHOT_TAMPERED,
                f"the snapshot's signature does not hold: {error.message}",
            ) from None
        if error.code in (SignatureCode.MALFORMED, SignatureCode.CERT_UNREADABLE):
            raise _malformed(f"the snapshot's signature cannot be read: {error.message}") from None
        raise RegistryError(
            RegistryCode.SNAPSHOT_SIGNER_UNTRUSTED,
            f"the snapshot is not signed by the configured registry authority "
            f"({', '.join(describe(c) for c in authorities)}): {error.message}",
        ) from None


def _info(manifest: dict[str, Any], signer: x509.Certificate) -> SnapshotInfo:
    try:
        version = manifest["version"]
        count = manifest["unit_count"]
        if not isinstance(version, int) or not isinstance(count, int) or version < 0:
            raise TypeError
        if list(manifest["fields"]) != list(FIELDS):
            raise _malformed("the snapshot's fields are not the ones this node reads")
        return SnapshotInfo(
            version,
            datetime.fromisoformat(manifest["effective"]),
            datetime.fromisoformat(manifest["created_at"]),
            count,
            signer,
        )
    except (KeyError, TypeError, ValueError):
        raise _malformed(
            "the snapshot's manifest lacks a field or has one of the wrong type"
        ) from None


def _registry(states: list[Any], manifest: dict[str, Any], info: SnapshotInfo) -> Registry:
    histories: list[UnitHistory] = []
    current: list[UnitState] = []
    try:
        for row in states:
            state = _state(row)
            if current and current[0].code != state.code:
                histories.append(UnitHistory(current[0].code, tuple(current)))
                current = []
            current.append(state)
    except (TypeError, ValueError, IndexError):
        raise _malformed("a state of the snapshot is not of the documented shape") from None
    if current:
        histories.append(UnitHistory(current[0].code, tuple(current)))
    if len(histories) != info.unit_count:
        raise _malformed(
            f"the snapshot lists {len(histories)} units, its manifest says {info.unit_count}"
        )
    return Registry(histories, version=info.version, effective=info.effective)


def _state_row(state: UnitState) -> list[Any]:
    contact = state.contact
    return [
        state.code,
        state.version,
        to_ms(state.since),
        None if state.until is None else to_ms(state.until),
        state.name,
        state.parent,
        state.level,
        state.status.value,
        state.alt_code,
        list(state.successors),
        list(state.old_codes),
        state.home_axis,
        state.delivery_mode.value,
        state.endpoint,
        contact.email,
        contact.phone,
        contact.fax,
        contact.address,
    ]


def _state(row: list[Any]) -> UnitState:
    if not isinstance(row, list) or len(row) != len(FIELDS):
        raise ValueError("state row")
    (
        code,
        version,
        since,
        until,
        name,
        parent,
        level,
        status,
        alt_code,
        successors,
        old_codes,
        home_axis,
        mode,
        endpoint,
        email,
        phone,
        fax,
        address,
    ) = row
    return UnitState(
        code=_str(code),
        name=_str(name),
        parent=_opt(parent),
        level=_int(level),
        status=UnitStatus(status),
        since=from_ms(_int(since)),
        until=None if until is None else from_ms(_int(until)),
        version=_int(version),
        alt_code=_opt(alt_code),
        successors=_codes(successors),
        old_codes=_codes(old_codes),
        home_axis=_opt(home_axis),
        delivery_mode=DeliveryMode(mode),
        endpoint=_opt(endpoint),
        contact=Contact(_opt(email), _opt(phone), _opt(fax), _opt(address)),
    )


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("string")
    return value


def _opt(value: object) -> str | None:
    return None if value is None else _str(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("int")
    return value


def _codes(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("list")
    return tuple(_str(item) for item in value)


def _malformed(message: str) -> RegistryError:
    return RegistryError(RegistryCode.SNAPSHOT_MALFORMED, message)
