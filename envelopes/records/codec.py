"""Encoding and decoding of bus records: Avro single-object encoding with fastavro.

Every record starts with the marker `C3 01` and the 8-byte CRC-64-AVRO fingerprint of the
schema it was written with (Avro specification, "Single object encoding"). The reader looks
that schema up among the versions it knows and resolves it to its own, so nodes of different
releases can share a topic. Rolling out a new schema version takes two releases: the first
ships the file and keeps writing the old version (`versions=`), so that every node knows the
new fingerprint before anyone writes with it; the second writes the new version.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TypeVar

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from fastavro.validation import ValidationError, validate

from envelopes.records.mapping import from_datum, to_datum
from envelopes.records.model import AvroRecord
from envelopes.records.problems import RecordProblemCode, record_error
from envelopes.records.registry import KnownSchema, SchemaRegistry

MARKER = b"\xc3\x01"
"""The two bytes that open every single-object-encoded record."""
HEADER_SIZE = len(MARKER) + 8

R = TypeVar("R", bound=AvroRecord)

# What fastavro raises on bytes that do not follow the writer schema: truncated data (EOFError),
# a bad union or enum index (IndexError), invalid UTF-8 (a ValueError), times out of range.
_UNREADABLE = (EOFError, IndexError, ValueError, OverflowError)
_MAX_DETAIL = 300


class RecordCodec:
    """Turns records into bytes for Kafka and back, checking them against their schemas."""

    def __init__(
        self, registry: SchemaRegistry | None = None, *, versions: Mapping[str, int] | None = None
    ) -> None:
        """`versions` pins, per record full name, the schema version this node reads into and
        writes with; a record not named there uses the latest version the registry knows."""
        self._registry = registry if registry is not None else SchemaRegistry.shipped()
        self._versions = dict(versions or {})

    def schema_for(self, record_type: type[AvroRecord]) -> KnownSchema:
        """The schema this codec writes `record_type` with and reads it into."""
        name = record_type.AVRO_NAME
        return self._registry.get(name, self._versions.get(name))

    def encode(self, record: AvroRecord) -> bytes:
        """The bytes of `record`: header, then the Avro binary encoding of its fields."""
        schema = self.schema_for(type(record))
        datum = to_datum(record)
        try:
            validate(datum, schema.parsed, raise_errors=True)
        except ValidationError as exc:
            raise record_error(
                RecordProblemCode.INVALID,
                f"the {type(record).__name__} does not fit its schema: {_shorten(exc)}",
                schema.name,
            ) from exc
        out = io.BytesIO()
        out.write(MARKER)
        out.write(schema.fingerprint)
        schemaless_writer(out, schema.parsed, datum)
        return out.getvalue()

    def writer_schema(self, data: bytes) -> KnownSchema:
        """The schema `data` was written with, read from its header."""
        if len(data) < HEADER_SIZE:
            raise record_error(
                RecordProblemCode.MALFORMED,
                f"a record needs at least {HEADER_SIZE} header bytes, got {len(data)}",
                "header",
            )
        if data[: len(MARKER)] != MARKER:
            raise record_error(
                RecordProblemCode.MALFORMED,
                f"a record starts with C3 01, these bytes start with {data[:2].hex(' ').upper()}",
                "header",
            )
        digest = data[len(MARKER) : HEADER_SIZE]
        schema = self._registry.by_fingerprint(digest)
        if schema is None:
            raise record_error(
                RecordProblemCode.UNKNOWN_SCHEMA,
                f"the record was written with schema {digest.hex()}, which this node does not "
                "know; it was probably written by a newer release",
                "header",
            )
        return schema

    def decode(self, data: bytes, record_type: type[R]) -> R:
        """The `record_type` record in `data`, resolved from its writer schema to ours."""
        writer = self.writer_schema(data)
        reader = self.schema_for(record_type)
        if writer.name != reader.name:
            raise record_error(
                RecordProblemCode.WRONG_TYPE,
                f"expected a {reader.name}, the record is a {writer.name}",
                writer.name,
            )
        source = io.BytesIO(data)
        source.seek(HEADER_SIZE)
        try:
            datum = schemaless_reader(
                source,
                writer.parsed,
                None if reader is writer else reader.parsed,
                return_record_name=True,
                return_record_name_override=True,
            )
        except SchemaResolutionError as exc:
            raise record_error(
                RecordProblemCode.INCOMPATIBLE_SCHEMA,
                f"version {writer.version} of {writer.name} cannot be read as version "
                f"{reader.version}: {_shorten(exc)}",
                writer.name,
            ) from exc
        except _UNREADABLE as exc:
            raise record_error(
                RecordProblemCode.MALFORMED,
                f"the bytes are not a {writer.name} (version {writer.version}): "
                f"{type(exc).__name__} {_shorten(exc)}",
                writer.name,
            ) from exc
        if source.tell() != len(data):
            raise record_error(
                RecordProblemCode.MALFORMED,
                f"{len(data) - source.tell()} bytes follow the end of the {writer.name}",
                writer.name,
            )
        return from_datum(record_type, datum)


def _shorten(exc: Exception) -> str:
    """The exception's text, cut short: fastavro puts whole values (packets) in its messages."""
    text = " ".join(str(exc).split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
