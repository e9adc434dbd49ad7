"""Routing at work: inboxes, tracking (messages, deliveries, timeline), submissions, dead
letters and paused destinations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sender_code", sa.String(length=64), nullable=False),
        sa.Column("recipient_code", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_error", sa.String(length=1000), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("error_class", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replayed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("source", name=op.f("uq_dead_letters_source")),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dead_letters_dead_at"), ["dead_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dead_letters_recipient_code_dead_at"),
            ["recipient_code", "dead_at"],
            unique=False,
        )

    op.create_table(
        "inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("recipient_code", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sender_code", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("addressed_to", sa.String(length=64), nullable=True),
        sa.Column("packet_sha256", sa.String(length=64), nullable=False),
        sa.Column("packet_size", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack", sa.String(length=16), nullable=True),
        sa.Column("ack_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint(
            "recipient_code", "message_id", name=op.f("uq_inbox_recipient_code_message_id")
        ),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_recipient_code_kind_id"),
            ["recipient_code", "kind", "id"],
            unique=False,
        )

    op.create_table(
        "paused_destinations",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("paused_by", sa.String(length=200), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_paused_destinations")),
    )
    op.create_table(
        "submissions",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("sender_code", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("packet_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "sender_code",
            "document_id",
            "packet_sha256",
            name=op.f("uq_submissions_sender_code_document_id_packet_sha256"),
        ),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submissions_state_submitted_at"), ["state", "submitted_at"], unique=False
        )

    op.create_table(
        "tracked_deliveries",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_code", sa.String(length=64), nullable=False),
        sa.Column("addressed_to", sa.String(length=64), nullable=True),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("status_progress", sa.String(length=4), nullable=True),
        sa.Column("status_change", sa.String(length=4), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("message_id", "recipient_code", name=op.f("pk_tracked_deliveries")),
    )
    with op.batch_alter_table("tracked_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracked_deliveries_phase_updated_at"),
            ["phase", "updated_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tracked_deliveries_recipient_code_phase"),
            ["recipient_code", "phase"],
            unique=False,
        )

    op.create_table(
        "tracked_messages",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sender_code", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("packet_sha256", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_type", sa.String(length=4), nullable=True),
        sa.Column("answers_message_id", sa.String(length=36), nullable=True),
        sa.Column("status_code", sa.String(length=4), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_tracked_messages")),
    )
    with op.batch_alter_table("tracked_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracked_messages_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tracked_messages_sender_code_submitted_at"),
            ["sender_code", "submitted_at"],
            unique=False,
        )

    op.create_table(
        "tracking_timeline",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_code", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("status_code", sa.String(length=4), nullable=True),
        sa.Column("detail", sa.String(length=2000), nullable=True),
        sa.Column("effect", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_timeline")),
        sa.UniqueConstraint("source", name=op.f("uq_tracking_timeline_source")),
    )
    with op.batch_alter_table("tracking_timeline", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracking_timeline_message_id_recipient_code_id"),
            ["message_id", "recipient_code", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_timeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_timeline_message_id_recipient_code_id"))

    op.drop_table("tracking_timeline")
    with op.batch_alter_table("tracked_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracked_messages_sender_code_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_tracked_messages_document_id"))

    op.drop_table("tracked_messages")
    with op.batch_alter_table("tracked_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracked_deliveries_recipient_code_phase"))
        batch_op.drop_index(batch_op.f("ix_tracked_deliveries_phase_updated_at"))

    op.drop_table("tracked_deliveries")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_state_submitted_at"))

    op.drop_table("submissions")
    op.drop_table("paused_destinations")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_recipient_code_kind_id"))

    op.drop_table("inbox")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letters_recipient_code_dead_at"))
        batch_op.drop_index(batch_op.f("ix_dead_letters_dead_at"))

    op.drop_table("dead_letters")
