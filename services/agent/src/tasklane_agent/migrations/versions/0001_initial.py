"""Tasks, conversation turns, inbox and outbox.

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
S = "agent"


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_has_time", sa.Boolean, nullable=False),
        sa.Column("source_wamid", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_tasks_status")),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name=op.f("ck_tasks_priority")),
        schema=S,
    )
    op.create_index("ix_tasks_user_id_status", "tasks", ["user_id", "status"], schema=S)
    op.create_table(
        "conversation_turns",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("wamid", sa.String(200), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_turns"),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_conversation_turns_role")),
        schema=S,
    )
    op.create_index(
        "ix_conversation_turns_user_id_created_at",
        "conversation_turns",
        ["user_id", "created_at"],
        schema=S,
    )
    create_inbox_v1(S)
    create_outbox_v1(S)


def downgrade() -> None:
    drop_outbox_v1(S)
    drop_inbox_v1(S)
    op.drop_index("ix_conversation_turns_user_id_created_at", table_name="conversation_turns", schema=S)
    op.drop_table("conversation_turns", schema=S)
    op.drop_index("ix_tasks_user_id_status", table_name="tasks", schema=S)
    op.drop_table("tasks", schema=S)
