"""Inbox handover: an unfetched item of a closed code moves to its successor after a grace
period (routing.handover); the old row keeps where it went and whether that was announced.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_to", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("handover_announced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            batch_op.f("ix_inbox_fetched_at_recipient_code"), ["fetched_at", "recipient_code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_fetched_at_recipient_code"))
        batch_op.drop_column("handover_announced")
        batch_op.drop_column("handed_over_at")
        batch_op.drop_column("handed_over_to")
