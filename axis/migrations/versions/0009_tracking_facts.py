"""Tracking records each fact once: the timeline's natural key (`fact_key`), unique beside the
Kafka position, so a redone submission or delivery batch adds nothing new (routing.tracking).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracking_timeline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fact_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_tracking_timeline_fact_key"), ["fact_key"])


def downgrade() -> None:
    with op.batch_alter_table("tracking_timeline", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tracking_timeline_fact_key"), type_="unique")
        batch_op.drop_column("fact_key")
