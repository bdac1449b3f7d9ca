"""Users by business-scoped id, unregistered contacts, per-user inbound rate limit.

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
S = "gateway"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=real_schema()) as batch:
        batch.add_column(sa.Column("bsuid", sa.String(256), nullable=True))
        batch.add_column(sa.Column("username", sa.String(256), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("source", sa.String(16), nullable=True))
        batch.alter_column("wa_id", existing_type=sa.String(256), nullable=True)
    users = sa.table(
        "users",
        sa.column("wa_id", sa.String),
        sa.column("bsuid", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
        sa.column("source", sa.String),
        schema=real_schema(),
    )
    op.execute(users.update().values(updated_at=users.c.created_at, source="auto"))
    # Before 0003 a user known only by a business-scoped id ("US.1349...") had it in wa_id;
    # phone numbers are digits only, so a dot tells them apart.
    op.execute(users.update().where(users.c.wa_id.like("%.%")).values(bsuid=users.c.wa_id, wa_id=None))
    with op.batch_alter_table("users", schema=real_schema()) as batch:
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.alter_column("source", existing_type=sa.String(16), nullable=False)
        batch.create_unique_constraint("uq_users_phone_number_id_bsuid", ["phone_number_id", "bsuid"])
        batch.create_index("ix_users_phone_number_id_username", ["phone_number_id", "username"])

    op.create_table(
        "mapping_version",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mapping_version"),
        schema=S,
    )
    op.bulk_insert(
        sa.table(
            "mapping_version",
            sa.column("id", sa.Integer),
            sa.column("version", sa.BigInteger),
            schema=real_schema(),
        ),
        [{"id": 1, "version": 0}],
    )
    op.create_table(
        "unregistered_contacts",
        sa.Column("phone_number_id", sa.String(256), nullable=False),
        sa.Column("sender", sa.String(256), nullable=False),
        sa.Column("wa_id", sa.String(256), nullable=True),
        sa.Column("bsuid", sa.String(256), nullable=True),
        sa.Column("profile_name", sa.String(256), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_prompted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", "sender", name="pk_unregistered_contacts"),
        schema=S,
    )
    op.create_index(
        "ix_unregistered_contacts_last_seen_at", "unregistered_contacts", ["last_seen_at"], schema=S
    )
    op.create_table(
        "inbound_rate",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "window_start", name="pk_inbound_rate"),
        schema=S,
    )
    op.create_index("ix_inbound_rate_window_start", "inbound_rate", ["window_start"], schema=S)
    op.create_table(
        "throttled_messages",
        sa.Column("wamid", sa.String(256), nullable=False),
        sa.Column("phone_number_id", sa.String(256), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("message_type", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("wamid", name="pk_throttled_messages"),
        schema=S,
    )
    op.create_index("ix_throttled_messages_received_at", "throttled_messages", ["received_at"], schema=S)
    op.create_index("ix_throttled_messages_user_id", "throttled_messages", ["user_id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_throttled_messages_user_id", "throttled_messages", schema=S)
    op.drop_index("ix_throttled_messages_received_at", "throttled_messages", schema=S)
    op.drop_table("throttled_messages", schema=S)
    op.drop_index("ix_inbound_rate_window_start", "inbound_rate", schema=S)
    op.drop_table("inbound_rate", schema=S)
    op.drop_index("ix_unregistered_contacts_last_seen_at", "unregistered_contacts", schema=S)
    op.drop_table("unregistered_contacts", schema=S)
    op.drop_table("mapping_version", schema=S)
    users = sa.table(
        "users", sa.column("wa_id", sa.String), sa.column("bsuid", sa.String), schema=real_schema()
    )
    # wa_id is required again: a user known only by a business-scoped id keeps it there, as before.
    op.execute(users.update().where(users.c.wa_id.is_(None)).values(wa_id=users.c.bsuid))
    op.execute(users.delete().where(users.c.wa_id.is_(None)))
    with op.batch_alter_table("users", schema=real_schema()) as batch:
        batch.drop_index("ix_users_phone_number_id_username")
        batch.drop_constraint("uq_users_phone_number_id_bsuid", type_="unique")
        batch.alter_column("wa_id", existing_type=sa.String(256), nullable=False)
        batch.drop_column("source")
        batch.drop_column("updated_at")
        batch.drop_column("username")
        batch.drop_column("bsuid")
