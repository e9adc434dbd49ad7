"""Signature policies per client (require, node-signs, accept-authenticated) and the keys the
node holds to sign for agencies (sealed under the node's secret key).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "signature_policy", sa.String(length=32), nullable=False, server_default="require"
            )
        )
    op.create_table(
        "agency_keys",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("sealed_key", sa.Text(), nullable=True),
        sa.Column("pkcs11_label", sa.String(length=200), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agency_keys")),
    )


def downgrade() -> None:
    op.drop_table("agency_keys")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("signature_policy")
