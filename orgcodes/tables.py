"""The registry's tables: every unit state, the log of applied versions, and the sync state.

Times are whole milliseconds since the epoch (UTC) in BIGINT columns rather than timestamps: a
node loads every state at start (about 120,000 rows for the national directory), and integers
read several times faster than timestamps on both databases and never raise the question of
naive or aware values. Constraint names are spelled out (this package has its own metadata).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()
"""The tables owned by the `orgcodes` package."""

CODE = 64
TEXT = 500

registry_unit_states = Table(
    "registry_unit_states",
    metadata,
    Column("code", String(CODE), nullable=False),
    Column("version", Integer, nullable=False),
    Column("since_ms", BigInteger, nullable=False),
    Column("until_ms", BigInteger),
    Column("name", String(TEXT), nullable=False),
    Column("parent", String(CODE)),
    Column("level", SmallInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("alt_code", String(CODE)),
    Column("successors", Text, nullable=False),
    Column("old_codes", Text, nullable=False),
    Column("home_axis", String(CODE)),
    Column("delivery_mode", String(8), nullable=False),
    Column("endpoint", String(1000)),
    Column("email", String(TEXT)),
    Column("phone", String(TEXT)),
    Column("fax", String(TEXT)),
    Column("address", String(TEXT)),
    PrimaryKeyConstraint("code", "version", name="pk_registry_unit_states"),
)
"""One row per state of a unit (a unit gets at most one new state per registry version).
`successors` and `old_codes` are codes separated by single spaces (codes have no spaces)."""

registry_versions = Table(
    "registry_versions",
    metadata,
    Column("version", Integer, nullable=False),
    Column("effective_ms", BigInteger, nullable=False),
    Column("applied_at_ms", BigInteger, nullable=False),
    Column("applied_by", String(200), nullable=False),
    Column("source", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("payload_sha256", String(64), nullable=False),
    Column("published_at_ms", BigInteger),
    PrimaryKeyConstraint("version", name="pk_registry_versions"),
    Index("ix_registry_versions_published_at_ms", "published_at_ms"),
)
"""Every change set this node applied, as canonical JSON: what the authority publishes (rows
with no `published_at_ms` are still to be published) and what the API's change feed serves."""

registry_state = Table(
    "registry_state",
    metadata,
    Column("id", SmallInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_ms", BigInteger, nullable=False),
    Column("synced_at_ms", BigInteger, nullable=False),
    Column("source", String(16), nullable=False),
    PrimaryKeyConstraint("id", name="pk_registry_state"),
)
"""One row: the version the node holds, and when it last knew that version to be current."""

registry_heartbeats = Table(
    "registry_heartbeats",
    metadata,
    Column("id", SmallInteger, nullable=False),
    Column("sent_at_ms", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("recorded_at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("id", name="pk_registry_heartbeats"),
)
"""One row: the registry authority's last heartbeat this node checked (`orgcodes.heartbeat`):
when the authority sent it, at which version, and when this node recorded it."""
