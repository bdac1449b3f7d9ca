"""Recipients may be business-scoped user ids: ``to`` of outbound messages and of the pair-rate
schedule widens from 32 to 200 characters (``windows.wa_id`` is 200 already).

A BSUID ("US.13491208655302741918", up to 128 characters after the country) does not fit in the
32 characters a phone number's digits needed. On PostgreSQL widening a varchar only changes the
catalog (no table rewrite, existing rows and indexes untouched); SQLite's batch mode rebuilds the
table. The downgrade narrows them back; on PostgreSQL it fails while a longer recipient is stored
rather than cut one short (a truncated BSUID would name somebody else, or nobody).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import real_schema

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "sender"
TABLES = ("outbound_messages", "recipient_pacing")


def _resize(old: int, new: int) -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=real_schema()) as batch:
            batch.alter_column(
                "to", existing_type=sa.String(old), type_=sa.String(new), existing_nullable=False
            )


def upgrade() -> None:
    _resize(32, 200)


def downgrade() -> None:
    _resize(200, 32)
