"""Reminders of task deadlines, fired by every agent replica's reminder worker.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "agent"


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('due', 'lead')", name=op.f("ck_reminders_kind")),
        sa.CheckConstraint("status IN ('pending', 'sent', 'cancelled')", name=op.f("ck_reminders_status")),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        schema=S,
    )
    # The workers' claim: pending rows by fire time.
    op.create_index("ix_reminders_status_fire_at", "reminders", ["status", "fire_at"], schema=S)
    op.create_index("ix_reminders_task_id", "reminders", ["task_id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_reminders_task_id", table_name="reminders", schema=S)
    op.drop_index("ix_reminders_status_fire_at", table_name="reminders", schema=S)
    op.drop_table("reminders", schema=S)
