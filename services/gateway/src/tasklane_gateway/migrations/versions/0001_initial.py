"""Users, processed webhook items, inbox and outbox.

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
    create_inbox_v1(S)
    create_outbox_v1(S)


def downgrade() -> None:
    drop_outbox_v1(S)
    drop_inbox_v1(S)
    op.drop_index("ix_processed_webhook_items_received_at", "processed_webhook_items", schema=S)
    op.drop_table("processed_webhook_items", schema=S)
    op.drop_table("users", schema=S)
