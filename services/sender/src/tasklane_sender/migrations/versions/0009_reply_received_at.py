"""When the message a reply answers reached the gateway: ``outbound_messages.received_at``.

The reply-latency SLO runs from the webhook in, not from the agent's request. Rows queued before
this have none and are simply not measured.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import real_schema

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbound_messages", sa.Column("received_at", sa.DateTime(timezone=True)), schema=real_schema()
    )


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=real_schema()) as batch:
        batch.drop_column("received_at")
