"""Phone numbers with sealed tokens, customer-service windows, template fallback.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import real_schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "sender"


def upgrade() -> None:
    op.create_table(
        "numbers",
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("waba_id", sa.String(64), nullable=True),
        sa.Column("display_phone_number", sa.String(32), nullable=True),
        sa.Column("access_token_sealed", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("throughput_per_s", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", name="pk_numbers"),
        schema=S,
    )
    op.create_table(
        "windows",
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("wa_id", sa.String(200), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", "wa_id", name="pk_windows"),
        schema=S,
    )
    op.create_index("ix_windows_last_inbound_at", "windows", ["last_inbound_at"], schema=S)
    with op.batch_alter_table("outbound_messages", schema=real_schema()) as batch:
        batch.add_column(sa.Column("original_kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("original_content", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=real_schema()) as batch:
        batch.drop_column("original_content")
        batch.drop_column("original_kind")
    op.drop_index("ix_windows_last_inbound_at", table_name="windows", schema=S)
    op.drop_table("windows", schema=S)
    op.drop_table("numbers", schema=S)
