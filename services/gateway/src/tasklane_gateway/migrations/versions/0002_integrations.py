"""Integrations (Meta apps, phone numbers with sealed secrets) and the audit log.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "gateway"
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("app_secret", sa.Text, nullable=True),
        sa.Column("verify_token", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("app_id", name="pk_apps"),
        schema=S,
    )
    op.create_table(
        "phone_numbers",
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("waba_id", sa.String(64), nullable=True),
        sa.Column("display_phone_number", sa.String(32), nullable=True),
        sa.Column("access_token", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("throughput_per_s", sa.Integer, nullable=True),
        sa.Column("auto_register", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", name="pk_phone_numbers"),
        schema=S,
    )
    op.create_index("ix_phone_numbers_app_id", "phone_numbers", ["app_id"], schema=S)
    op.create_table(
        "audit_log",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(256), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("details", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        schema=S,
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], schema=S)
    op.create_index("ix_audit_log_target_type_target_id", "audit_log", ["target_type", "target_id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_audit_log_target_type_target_id", "audit_log", schema=S)
    op.drop_index("ix_audit_log_at", "audit_log", schema=S)
    op.drop_table("audit_log", schema=S)
    op.drop_index("ix_phone_numbers_app_id", "phone_numbers", schema=S)
    op.drop_table("phone_numbers", schema=S)
    op.drop_table("apps", schema=S)
