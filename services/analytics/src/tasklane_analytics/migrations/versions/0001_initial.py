"""Event log and inbox.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import create_inbox_v1, drop_inbox_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "analytics"


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_ms", sa.BigInteger, nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("producer", sa.String(50), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_events"),
        schema=S,
    )
    op.create_index("ix_events_type_occurred_ms", "events", ["type", "occurred_ms"], schema=S)
    op.create_index("ix_events_correlation_id", "events", ["correlation_id"], schema=S)
    create_inbox_v1(S)


def downgrade() -> None:
    drop_inbox_v1(S)
    op.drop_table("events", schema=S)
