"""Throughput and pair-rate pacing across replicas; paused numbers.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "sender"


def upgrade() -> None:
    op.create_table(
        "number_states",
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("next_slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_code", sa.BigInteger, nullable=True),
        sa.Column("hold_reason", sa.Text, nullable=True),
        sa.Column("throttle_strikes", sa.Integer, nullable=False),
        sa.Column("throttled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pause_code", sa.BigInteger, nullable=True),
        sa.Column("pause_reason", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", name="pk_number_states"),
        schema=S,
    )
    op.create_table(
        "recipient_pacing",
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("to", sa.String(32), nullable=False),
        sa.Column("next_slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("strikes", sa.Integer, nullable=False),
        sa.Column("struck_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("phone_number_id", "to", name="pk_recipient_pacing"),
        schema=S,
    )
    op.create_index("ix_recipient_pacing_next_slot_at", "recipient_pacing", ["next_slot_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_recipient_pacing_next_slot_at", table_name="recipient_pacing", schema=S)
    op.drop_table("recipient_pacing", schema=S)
    op.drop_table("number_states", schema=S)
