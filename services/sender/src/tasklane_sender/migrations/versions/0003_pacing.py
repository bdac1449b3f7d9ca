"""Throughput and pair-rate pacing across replicas; paused numbers.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "sender"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
