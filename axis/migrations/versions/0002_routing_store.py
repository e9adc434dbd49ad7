"""Routing's stores: large payloads (content-addressed, chunked) and the evidence log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payloads",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payloads"),
        sa.UniqueConstraint("sha256", name="uq_payloads_sha256"),
    )
    op.create_table(
        "payload_chunks",
        sa.Column("payload_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("payload_id", "seq", name="pk_payload_chunks"),
        sa.ForeignKeyConstraint(
            ["payload_id"], ["payloads.id"], ondelete="CASCADE",
            name="fk_payload_chunks_payload_id_payloads",
        ),
    )  # fmt: skip
    op.create_table(
        "evidence_log",
        sa.Column("chain", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("packet_sha256", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("previous", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chain", "seq", name="pk_evidence_log"),
    )
    op.create_index("ix_evidence_log_message_id", "evidence_log", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_log_message_id", table_name="evidence_log")
    op.drop_table("evidence_log")
    op.drop_table("payload_chunks")
    op.drop_table("payloads")
