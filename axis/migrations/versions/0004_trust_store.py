"""The trust store: trusted certificate authorities, authorizations per organization code and
revoked serial numbers (signing.trust_tables).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trust_authorities",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_trust_authorities")),
    )

    op.create_table(
        "trust_authorizations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_authorizations")),
        sa.UniqueConstraint(
            "org_code", "fingerprint", name=op.f("uq_trust_authorizations_org_code_fingerprint")
        ),
    )
    with op.batch_alter_table("trust_authorizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trust_authorizations_org_code"), ["org_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_trust_authorizations_serial"), ["serial"], unique=False
        )

    op.create_table(
        "trust_revocations",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_trust_revocations")),
    )


def downgrade() -> None:
    op.drop_table("trust_revocations")
    with op.batch_alter_table("trust_authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trust_authorizations_serial"))
        batch_op.drop_index(batch_op.f("ix_trust_authorizations_org_code"))

    op.drop_table("trust_authorizations")
    op.drop_table("trust_authorities")
