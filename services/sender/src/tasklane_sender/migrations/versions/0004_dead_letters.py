"""Dead letters captured from the sender's queues.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from tasklane_common.db.migration_ops import create_dead_letters_v1, drop_dead_letters_v1

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "sender"


def upgrade() -> None:
    create_dead_letters_v1(S)


def downgrade() -> None:
    drop_dead_letters_v1(S)
