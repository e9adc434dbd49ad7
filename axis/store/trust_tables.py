"""The trust store's tables: trusted authorities, authorizations per organization code, and
revoked serial numbers. The trust store itself is `signing.trust.TrustStore`, a plain value;
these tables and `trust_repository` are how the node keeps it in its database."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, UniqueConstraint

from axis.store.db import metadata
from routing.sql import UtcDateTime

trust_authorities = Table(
    "trust_authorities",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("serial", String(64), nullable=False),
    Column("not_before", UtcDateTime(), nullable=False),
    Column("not_after", UtcDateTime(), nullable=False),
    Column("pem", Text, nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
    Column("added_by", String(200), nullable=False),
)
"""The certificate authorities whose certificates the node accepts, by SHA-256 fingerprint."""

trust_authorizations = Table(
    "trust_authorizations",
    metadata,
    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("org_code", String(64), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("pem", Text, nullable=False),
    Column("not_before", UtcDateTime(), nullable=False),
    Column("not_after", UtcDateTime(), nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
    Column("added_by", String(200), nullable=False),
    # One window per (code, certificate): re-authorizing replaces it. A rotation is two rows,
    # two certificates for one code.
    UniqueConstraint("org_code", "fingerprint"),
    # `axis trust list` and an operator revoking look certificates up by serial.
    Index(None, "serial"),
)  # fmt: skip
"""Certificate `fingerprint` may sign for `org_code` from `not_before` to `not_after`."""

trust_revocations = Table(
    "trust_revocations",
    metadata,
    Column("serial", String(64), primary_key=True),
    Column("revoked_at", UtcDateTime(), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)
"""Serial number `serial` (lower-case hex) is revoked from `revoked_at` on."""
