"""One dead-letter record per message: collapse the rows replays used to multiply into.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from tasklane_common.db.migration_ops import collapse_dead_letters_v1

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    collapse_dead_letters_v1()


def downgrade() -> None:
    # The collapsed rows were copies of one message: nothing to restore.
    pass
