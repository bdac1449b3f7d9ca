"""Alerts: the state of each alert analytics evaluates (first seen, firing, resolved, notified).

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

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "analytics"


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("firing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_state", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_alert_state"),
        schema=S,
    )
    op.create_index("ix_alert_state_resolved_at", "alert_state", ["resolved_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_alert_state_resolved_at", table_name="alert_state", schema=S)
    op.drop_table("alert_state", schema=S)
