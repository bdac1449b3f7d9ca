"""The queues an operator paused, kept so that new replicas and restarts stay paused.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from tasklane_common.db.migration_ops import create_consumer_pauses_v1, drop_consumer_pauses_v1

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "gateway"


def upgrade() -> None:
    create_consumer_pauses_v1(S)


def downgrade() -> None:
    drop_consumer_pauses_v1(S)
