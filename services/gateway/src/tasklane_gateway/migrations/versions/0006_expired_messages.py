"""Messages first seen after Meta's retry horizon: kept, not acted on.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "gateway"


def upgrade() -> None:
    op.create_table(
        "expired_messages",
        sa.Column("wamid", sa.String(256), nullable=False),
        sa.Column("phone_number_id", sa.String(256), nullable=False),
        sa.Column("message_type", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("wamid", name="pk_expired_messages"),
        schema=S,
    )
    op.create_index("ix_expired_messages_received_at", "expired_messages", ["received_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_expired_messages_received_at", "expired_messages", schema=S)
    op.drop_table("expired_messages", schema=S)
