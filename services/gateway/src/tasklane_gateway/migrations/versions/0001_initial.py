"""Users, processed webhook items, inbox and outbox.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "gateway"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("phone_number_id", sa.String(256), nullable=False),
        sa.Column("wa_id", sa.String(256), nullable=False),
        sa.Column("profile_name", sa.String(256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
        sa.UniqueConstraint("phone_number_id", "wa_id", name="uq_users_phone_number_id_wa_id"),
        schema=S,
    )
    op.create_table(
        "processed_webhook_items",
        sa.Column("key", sa.String(600), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_processed_webhook_items"),
        schema=S,
    )
    op.create_index(
        "ix_processed_webhook_items_received_at", "processed_webhook_items", ["received_at"], schema=S
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
        schema=S,
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("outbox", schema=S)
    op.drop_table("inbox", schema=S)
    op.drop_index("ix_processed_webhook_items_received_at", "processed_webhook_items", schema=S)
    op.drop_table("processed_webhook_items", schema=S)
    op.drop_table("users", schema=S)
