"""The Avro schemas a node knows, by fingerprint (to read any writer) and by name and version.

Schema files live in `envelopes/records/schemas/` as `<record>.v<N>.avsc`. A version, once
shipped, is never edited: records written with it may sit on a topic for as long as its
retention (forever on the compacted registry topic), and readers find it by the fingerprint
of its exact canonical form. Evolving a record means adding `<record>.v<N+1>.avsc`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form
from fastavro.types import Schema

from envelopes.records.problems import RecordProblemCode, record_error

_SCHEMA_PACKAGE = "envelopes.records.schemas"
_FILE_NAME = re.compile(r"^(?P<stem>[a-z0-9_]+)\.v(?P<version>[1-9][0-9]*)\.avsc$")


@dataclass(frozen=True, slots=True, eq=False)
class KnownSchema:
    """One version of one record schema, parsed once, with its CRC-64-AVRO fingerprint."""

    name: str
    """Full name, e.g. `vn.axis.records.DeliveryRecord`."""
    version: int
    fingerprint: bytes
    """The 8 bytes single-object encoding puts after its marker (little-endian Rabin)."""
    parsed: Schema

    @classmethod
    def from_json(cls, text: str, version: int) -> KnownSchema:
        """Parse a schema written as JSON text (the content of an `.avsc` file)."""
        parsed = parse_schema(json.loads(text))
        if not isinstance(parsed, dict) or parsed.get("type") != "record":
            raise ValueError("a record schema must be a JSON object of type 'record'")
        canonical = to_parsing_canonical_form(parsed)
        # fastavro renders the 64-bit Rabin fingerprint as hex of its little-endian bytes,
        # which is the byte order the Avro spec's single-object encoding writes.
        digest = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
        return cls(name=str(parsed["name"]), version=version, fingerprint=digest, parsed=parsed)


class SchemaRegistry:
    """Every schema version a codec may meet as a writer schema, and may read or write with."""

    def __init__(self, schemas: Iterable[KnownSchema]) -> None:
        self._by_fingerprint: dict[bytes, KnownSchema] = {}
        self._by_name: dict[str, dict[int, KnownSchema]] = {}
        for schema in schemas:
            versions = self._by_name.setdefault(schema.name, {})
            if schema.version in versions:
                raise ValueError(f"two schemas for {schema.name} version {schema.version}")
            versions[schema.version] = schema
            self._by_fingerprint.setdefault(schema.fingerprint, schema)

    @classmethod
    def shipped(cls) -> SchemaRegistry:
        """The schemas shipped in this package (files parsed once per process)."""
        return cls(_shipped_schemas())

    def with_schema(self, schema: KnownSchema) -> SchemaRegistry:
        """A registry that also knows `schema` (e.g. a newer version announced ahead of use)."""
        return SchemaRegistry([*self, schema])

    def __iter__(self) -> Iterator[KnownSchema]:
        for versions in self._by_name.values():
            yield from versions.values()

    def by_fingerprint(self, digest: bytes) -> KnownSchema | None:
        """The schema a record was written with, or None if this node never heard of it."""
        return self._by_fingerprint.get(digest)

    def get(self, name: str, version: int | None = None) -> KnownSchema:
        """Version `version` of record `name`, by default the latest known."""
        versions = self._by_name.get(name, {})
        chosen = max(versions) if version is None and versions else version
        schema = versions.get(chosen) if chosen is not None else None
        if schema is None:
            which = f"version {version} of " if version is not None else ""
            raise record_error(
                RecordProblemCode.UNKNOWN_SCHEMA,
                f"no schema for {which}{name} is known; known versions: {sorted(versions)}",
                name,
            )
        return schema


@cache
def _shipped_schemas() -> tuple[KnownSchema, ...]:
    found = []
    for entry in resources.files(_SCHEMA_PACKAGE).iterdir():
        if not entry.name.endswith(".avsc"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise ValueError(f"schema file {entry.name} is not named <record>.v<N>.avsc")
        found.append(KnownSchema.from_json(entry.read_text("utf-8"), int(match["version"])))
    return tuple(found)
