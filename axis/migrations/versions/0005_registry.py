"""The organization-code registry: unit states, applied versions and the sync state
(orgcodes.tables).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_unit_states",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("since_ms", sa.BigInteger(), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("alt_code", sa.String(length=64), nullable=True),
        sa.Column("successors", sa.Text(), nullable=False),
        sa.Column("old_codes", sa.Text(), nullable=False),
        sa.Column("home_axis", sa.String(length=64), nullable=True),
        sa.Column("delivery_mode", sa.String(length=8), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=True),
        sa.Column("email", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=500), nullable=True),
        sa.Column("fax", sa.String(length=500), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("code", "version", name="pk_registry_unit_states"),
    )
    op.create_table(
        "registry_versions",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_ms", sa.BigInteger(), nullable=False),
        sa.Column("applied_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("applied_by", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("version", name="pk_registry_versions"),
    )
    with op.batch_alter_table("registry_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_versions_published_at_ms", ["published_at_ms"], unique=False
        )
    op.create_table(
        "registry_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_ms", sa.BigInteger(), nullable=False),
        sa.Column("synced_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_state"),
    )


def downgrade() -> None:
    op.drop_table("registry_state")
    with op.batch_alter_table("registry_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_versions_published_at_ms")
    op.drop_table("registry_versions")
    op.drop_table("registry_unit_states")
