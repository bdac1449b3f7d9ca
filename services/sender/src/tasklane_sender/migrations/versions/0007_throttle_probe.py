"""After a throughput hold one probe call decides: ``number_states.probe_until``.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import real_schema

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("number_states", sa.Column("probe_until", sa.DateTime(timezone=True)), schema=real_schema())


def downgrade() -> None:
    with op.batch_alter_table("number_states", schema=real_schema()) as batch:
        batch.drop_column("probe_until")
