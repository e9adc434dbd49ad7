"""Asks a Kafka broker what it is: the ApiVersions v3 exchange, read by hand.

aiokafka speaks ApiVersions only up to v2, which carries no features; v3 (KIP-511, KIP-584)
returns the cluster's finalized `metadata.version`, which names the Kafka release line the
cluster runs (for example 4.1-IV1). That is the broker version `axis doctor` reports.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field

_API_VERSIONS = 18
_REQUEST_VERSION = 3
_CLIENT_ID = b"axis-doctor"
_SOFTWARE_NAME = b"axis-node"
_SOFTWARE_VERSION = b"0.1.0"
_MAX_RESPONSE = 1 << 20

# Feature level of `metadata.version` -> release string, from Kafka's MetadataVersion enum
# (KRaft-only levels; 7 is the oldest a KRaft cluster can run).
METADATA_VERSIONS: dict[int, str] = {
    7: "3.3-IV3", 8: "3.4-IV0", 9: "3.5-IV0", 10: "3.5-IV1", 11: "3.5-IV2", 12: "3.6-IV0",
    13: "3.6-IV1", 14: "3.6-IV2", 15: "3.7-IV0", 16: "3.7-IV1", 17: "3.7-IV2", 18: "3.7-IV3",
    19: "3.7-IV4", 20: "3.8-IV0", 21: "3.9-IV0", 22: "4.0-IV0", 23: "4.0-IV1", 24: "4.0-IV2",
    25: "4.0-IV3", 26: "4.1-IV0", 27: "4.1-IV1", 28: "4.2-IV0", 29: "4.2-IV1",
}  # fmt: skip


class ProbeError(Exception):
    """The broker did not answer the probe, or answered something that is not Kafka."""


@dataclass(frozen=True, slots=True)
class BrokerVersion:
    """What one broker says about itself and its cluster."""

    api_versions: dict[int, tuple[int, int]]
    finalized_features: dict[str, int] = field(default_factory=dict)

    @property
    def metadata_version_level(self) -> int | None:
        return self.finalized_features.get("metadata.version")

    @property
    def release_line(self) -> str | None:
        """The Kafka release line (e.g. `4.1`) the cluster's metadata.version belongs to."""
        level = self.metadata_version_level
        name = METADATA_VERSIONS.get(level) if level is not None else None
        return name.split("-")[0] if name else None

    @property
    def release(self) -> str:
        """The Kafka release line, e.g. `4.1-IV1`, or a description when it is not known."""
        level = self.metadata_version_level
        if level is None:
            return "unknown (no finalized metadata.version: not a KRaft cluster?)"
        name = METADATA_VERSIONS.get(level)
        if name is None:
            return f"newer than 4.2 (metadata.version level {level})"
        return f"{name.split('-')[0]} (metadata.version {name})"


async def probe(host: str, port: int, *, timeout: float = 5.0) -> BrokerVersion:
    """Open a connection, send ApiVersions v3, and parse the answer."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as exc:
        raise ProbeError(f"cannot connect to {host}:{port}: {exc or 'timed out'}") from exc
    try:
        writer.write(_request(correlation_id=1))
        await writer.drain()
        size_bytes = await asyncio.wait_for(reader.readexactly(4), timeout)
        (size,) = struct.unpack(">i", size_bytes)
        if not 0 < size <= _MAX_RESPONSE:
            raise ProbeError(f"{host}:{port} answered with an implausible frame size {size}")
        body = await asyncio.wait_for(reader.readexactly(size), timeout)
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        raise ProbeError(f"{host}:{port} did not answer ApiVersions: {exc or 'timed out'}") from exc
    finally:
        writer.close()
    return parse_response(body, correlation_id=1)


def _request(*, correlation_id: int) -> bytes:
    header = struct.pack(">hhih", _API_VERSIONS, _REQUEST_VERSION, correlation_id, len(_CLIENT_ID))
    header += _CLIENT_ID + b"\x00"  # request header v2 ends with empty tagged fields
    body = _compact_string(_SOFTWARE_NAME) + _compact_string(_SOFTWARE_VERSION) + b"\x00"
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _compact_string(value: bytes) -> bytes:
    return _uvarint(len(value) + 1) + value


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def take(self, n: int) -> bytes:
        if self._pos + n > len(self._data):
            raise ProbeError("ApiVersions response is truncated")
        chunk = self._data[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def int16(self) -> int:
        value: int = struct.unpack(">h", self.take(2))[0]
        return value

    def int32(self) -> int:
        value: int = struct.unpack(">i", self.take(4))[0]
        return value

    def uvarint(self) -> int:
        shift = result = 0
        while True:
            byte = self.take(1)[0]
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 28:
                raise ProbeError("ApiVersions response holds a malformed varint")

    def compact_string(self) -> str:
        length = self.uvarint() - 1
        return self.take(length).decode("utf-8") if length > 0 else ""

    def tagged_fields(self) -> dict[int, bytes]:
        fields = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            fields[tag] = self.take(self.uvarint())
        return fields


def parse_response(body: bytes, *, correlation_id: int) -> BrokerVersion:
    """Parse an ApiVersions v3 response (response header v0, then the flexible body)."""
    r = _Reader(body)
    if r.int32() != correlation_id:
        raise ProbeError("ApiVersions response carries another correlation id: not a Kafka broker?")
    error_code = r.int16()
    if error_code != 0:
        raise ProbeError(f"broker refused ApiVersions v3 with error code {error_code}")
    api_versions: dict[int, tuple[int, int]] = {}
    for _ in range(r.uvarint() - 1):
        key, low, high = r.int16(), r.int16(), r.int16()
        r.tagged_fields()
        api_versions[key] = (low, high)
    r.int32()  # throttle time
    tagged = r.tagged_fields()
    finalized: dict[str, int] = {}
    if 2 in tagged:  # FinalizedFeatures
        features = _Reader(tagged[2])
        for _ in range(features.uvarint() - 1):
            name = features.compact_string()
            max_level = features.int16()
            features.int16()  # min level
            features.tagged_fields()
            finalized[name] = max_level
    return BrokerVersion(api_versions=api_versions, finalized_features=finalized)
