"""Integrations (Meta apps, phone numbers with sealed secrets) and the audit log.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "gateway"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
