"""API clients (axis.store.credentials) and the subject and notation of tracked messages (for
clerks).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=True),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("hmac", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name="pk_api_clients"),
        sa.UniqueConstraint("secret_sha256", name="uq_api_clients_secret_sha256"),
    )
    with op.batch_alter_table("tracked_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("notation", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracked_messages", schema=None) as batch_op:
        batch_op.drop_column("notation")
        batch_op.drop_column("subject")
    op.drop_table("api_clients")
