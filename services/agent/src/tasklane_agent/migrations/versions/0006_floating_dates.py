"""Date-only deadlines become floating calendar days (00:00 UTC of the day) instead of 00:00 of the
day in the owner's timezone, so every viewer sees the same day (see ``tasklane_agent.domain.deadlines``).

Data only: each stored local midnight is read back in its owner's zone (the profile's; UTC when
there is none) and rewritten as that day; the pending reminders of those tasks follow.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

from tasklane_common.db.migration_ops import real_schema

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _tables() -> tuple[sa.TableClause, sa.TableClause, sa.TableClause]:
    schema = real_schema()
    tasks = sa.table(
        "tasks",
        sa.column("id", sa.String),
        sa.column("user_id", sa.String),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("due_has_time", sa.Boolean),
        schema=schema,
    )
    profiles = sa.table(
        "profiles", sa.column("user_id", sa.String), sa.column("timezone", sa.String), schema=schema
    )
    reminders = sa.table(
        "reminders",
        sa.column("task_id", sa.String),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("status", sa.String),
        schema=schema,
    )
    return tasks, profiles, reminders


def _move(to_floating: bool) -> None:
    tasks, profiles, reminders = _tables()
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(tasks.c.id, tasks.c.due_at, profiles.c.timezone)
        .select_from(tasks.outerjoin(profiles, profiles.c.user_id == tasks.c.user_id))
        .where(tasks.c.due_has_time.is_(False), tasks.c.due_at.is_not(None))
    ).all()
    for task_id, due_at, zone_name in rows:
        stored = due_at if due_at.tzinfo is not None else due_at.replace(tzinfo=UTC)  # SQLite: naive UTC
        zone = _zone(zone_name)
        if to_floating:
            moved = datetime.combine(stored.astimezone(zone).date(), time(0), tzinfo=UTC)
        else:
            moved = datetime.combine(stored.astimezone(UTC).date(), time(0), tzinfo=zone).astimezone(UTC)
        if moved != stored:
            bind.execute(tasks.update().where(tasks.c.id == task_id).values(due_at=moved))
            # A pending reminder names the deadline it is for (its fire time stays right: the
            # same day hour in the same zone); the worker drops one whose deadline moved.
            bind.execute(
                reminders.update()
                .where(reminders.c.task_id == task_id, reminders.c.status == "pending")
                .values(due_at=moved)
            )


def upgrade() -> None:
    _move(to_floating=True)


def downgrade() -> None:
    _move(to_floating=False)
