"""Dead letters captured from the agent's queues.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from tasklane_common.db.migration_ops import create_dead_letters_v1, drop_dead_letters_v1

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "agent"


def upgrade() -> None:
    create_dead_letters_v1(S)


def downgrade() -> None:
    drop_dead_letters_v1(S)
