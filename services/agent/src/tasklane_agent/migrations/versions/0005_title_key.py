"""Tasks gain ``title_key``: the title folded (lower case, no accents), so "presentacion" finds
"Preparar la presentación" in SQL on PostgreSQL and SQLite alike.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_agent.domain.names import name_key
from tasklane_common.db.migration_ops import real_schema

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=real_schema()) as batch:
        batch.add_column(sa.Column("title_key", sa.Text, nullable=True))
    tasks = sa.table("tasks", sa.column("id", sa.String), sa.column("title", sa.Text),
                     sa.column("title_key", sa.Text), schema=real_schema())  # fmt: skip
    bind = op.get_bind()
    # Folding needs Python (PostgreSQL's unaccent is an optional extension): in batches by id.
    last = ""
    while True:
        rows = bind.execute(
            sa.select(tasks.c.id, tasks.c.title).where(tasks.c.id > last).order_by(tasks.c.id).limit(1000)
        ).all()
        if not rows:
            break
        for task_id, title in rows:
            bind.execute(tasks.update().where(tasks.c.id == task_id).values(title_key=name_key(title)))
        last = rows[-1][0]
    with op.batch_alter_table("tasks", schema=real_schema()) as batch:
        batch.alter_column("title_key", existing_type=sa.Text, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=real_schema()) as batch:
        batch.drop_column("title_key")
