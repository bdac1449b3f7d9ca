"""Projects and members, user profiles, conversation state; tasks gain organisation, project,
assignee, recurrence and soft deletion.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import real_schema

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "agent"
_NEW_TASK_COLUMNS = (
    ("org_id", sa.String(200)),
    ("project_id", sa.String(36)),
    ("assignee_id", sa.String(200)),
    ("recurrence", sa.String(200)),
    ("deleted_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=real_schema()) as batch:
        for name, type_ in _NEW_TASK_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.create_index("ix_tasks_assignee_id", ["assignee_id"])
        batch.create_index("ix_tasks_project_id", ["project_id"])
    op.create_table(
        "projects",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("org_id", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("org_id", "name_key", name="uq_projects_org_id_name_key"),
        schema=S,
    )
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "user_id", name="pk_project_members"),
        schema=S,
    )
    op.create_index("ix_project_members_user_id", "project_members", ["user_id"], schema=S)
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("org_id", sa.String(200), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("name_key", sa.Text, nullable=True),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("lang_source", sa.String(10), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("timezone_source", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_profiles"),
        schema=S,
    )
    op.create_index("ix_profiles_org_id_name_key", "profiles", ["org_id", "name_key"], schema=S)
    op.create_table(
        "conversation_state",
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("last_list", sa.JSON, nullable=False),
        sa.Column("focus", sa.JSON, nullable=False),
        sa.Column("pending", sa.JSON, nullable=True),
        sa.Column("last_action", sa.JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_conversation_state"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("conversation_state", schema=S)
    op.drop_index("ix_profiles_org_id_name_key", table_name="profiles", schema=S)
    op.drop_table("profiles", schema=S)
    op.drop_index("ix_project_members_user_id", table_name="project_members", schema=S)
    op.drop_table("project_members", schema=S)
    op.drop_table("projects", schema=S)
    with op.batch_alter_table("tasks", schema=real_schema()) as batch:
        batch.drop_index("ix_tasks_project_id")
        batch.drop_index("ix_tasks_assignee_id")
        for name, _ in reversed(_NEW_TASK_COLUMNS):
            batch.drop_column(name)
