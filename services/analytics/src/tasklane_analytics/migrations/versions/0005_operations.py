"""Operations: analytics' paused queues, the audit trail of every service, the dead letters of
every service (without bodies).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import create_consumer_pauses_v1, drop_consumer_pauses_v1

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "analytics"


def upgrade() -> None:
    create_consumer_pauses_v1(S)
    op.create_table(
        "audit_trail",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("service", sa.String(50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=True),
        sa.Column("target_id", sa.String(256), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_trail"),
        sa.UniqueConstraint("event_id", name="uq_audit_trail_event_id"),
        schema=S,
    )
    op.create_index("ix_audit_trail_at", "audit_trail", ["at"], schema=S)
    op.create_index("ix_audit_trail_service_at", "audit_trail", ["service", "at"], schema=S)
    op.create_table(
        "dead_letter_view",
        sa.Column("service", sa.String(50), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replay_count", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service", "letter_id", name="pk_dead_letter_view"),
        schema=S,
    )
    op.create_index("ix_dead_letter_view_dead_at", "dead_letter_view", ["dead_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_dead_letter_view_dead_at", table_name="dead_letter_view", schema=S)
    op.drop_table("dead_letter_view", schema=S)
    op.drop_index("ix_audit_trail_service_at", table_name="audit_trail", schema=S)
    op.drop_index("ix_audit_trail_at", table_name="audit_trail", schema=S)
    op.drop_table("audit_trail", schema=S)
    drop_consumer_pauses_v1(S)
