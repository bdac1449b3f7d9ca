"""Outbound messages, status history, inbox and outbox.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import create_inbox_v1, create_outbox_v1, drop_inbox_v1, drop_outbox_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "sender"
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbound_messages",
        sa.Column("reply_id", sa.String(64), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("causation_id", sa.String(200), nullable=True),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("to", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("wamid", sa.String(256), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("error_code", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trace_context", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("reply_id", name="pk_outbound_messages"),
        sa.UniqueConstraint("wamid", name="uq_outbound_messages_wamid"),
        schema=S,
    )
    op.create_index(
        "ix_outbound_messages_next_attempt_at",
        "outbound_messages",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status IN ('queued', 'sending')"),
        sqlite_where=sa.text("status IN ('queued', 'sending')"),
    )
    op.create_index(
        "ix_outbound_messages_phone_number_id_to_created_at",
        "outbound_messages",
        ["phone_number_id", "to", "created_at"],
        schema=S,
    )
    op.create_table(
        "message_statuses",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("wamid", sa.String(256), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("errors", sa.JSON, nullable=True),
        sa.Column("pricing", sa.JSON, nullable=True),
        sa.Column("known", sa.Boolean, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_message_statuses"),
        sa.UniqueConstraint("wamid", "status", name="uq_message_statuses_wamid_status"),
        schema=S,
    )
    op.create_index("ix_message_statuses_known", "message_statuses", ["known"], schema=S)
    create_inbox_v1(S)
    create_outbox_v1(S)


def downgrade() -> None:
    drop_outbox_v1(S)
    drop_inbox_v1(S)
    op.drop_table("message_statuses", schema=S)
    op.drop_table("outbound_messages", schema=S)
