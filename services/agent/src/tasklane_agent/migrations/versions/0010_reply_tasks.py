"""Which task each reply was about, and its wamid once sent: a ✅ reaction to it completes the task.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "agent"


def upgrade() -> None:
    op.create_table(
        "reply_tasks",
        sa.Column("reply_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("wamid", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reply_id", name="pk_reply_tasks"),
        schema=S,
    )
    # A reaction names the wamid it reacts to; the pruner ages rows by created_at.
    op.create_index("ix_reply_tasks_wamid", "reply_tasks", ["wamid"], schema=S)
    op.create_index("ix_reply_tasks_created_at", "reply_tasks", ["created_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_reply_tasks_created_at", table_name="reply_tasks", schema=S)
    op.drop_index("ix_reply_tasks_wamid", table_name="reply_tasks", schema=S)
    op.drop_table("reply_tasks", schema=S)
