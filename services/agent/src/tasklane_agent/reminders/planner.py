"""Reminders of task deadlines: the rows a task needs now, kept in the ``reminders`` table.

The workspace calls ``ReminderPlanner.plan`` after every change of a task (create, update,
complete, reopen, delete, undo), in the same transaction; the reminder worker fires the rows.

What a task needs:

- nothing when it is done, deleted or undated, or when reminders are switched off;
- a timed deadline: one reminder at the due time ("due") and one ``lead_minutes`` before ("lead");
- a date-only deadline: one ("due") at ``day_hour`` on that day in the recipient's timezone. No lead:
  a morning reminder is already ahead of the day.

A reminder whose time has already come when it is planned is not created: a task written with a
deadline that has passed, or due at 15:00 and created at 14:50, would otherwise be "reminded" the
moment it is created, of what the user just said. A reminder planned earlier whose time has come
while it waits for a worker (they lag, or were all down) is kept: it fires late, once.

Ids derive from (task, kind, fire time). Planning the same deadline again finds the rows it made
(plan twice = the same rows); a sent reminder stays sent, so it is never made again for the same
deadline; one cancelled by a change that is then undone is pending again. Rows are cancelled, not
deleted, for that reason.

The "now" of a plan is the task's ``updated_at``: the workspace stamps every change with its own
clock, so plans follow that clock (a test's pinned one included) without another being injected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import Task
from tasklane_agent.domain.deadlines import zone
from tasklane_agent.settings import ReminderSettings
from tasklane_agent.storage.tables import reminders
from tasklane_common.db.dialect import upsert_insert
from tasklane_common.messaging import deterministic_id

Kind = Literal["due", "lead"]


@dataclass(frozen=True)
class Planned:
    id: str
    kind: Kind
    fire_at: datetime  # UTC
    due_at: datetime  # UTC: the deadline it reminds of


def reminder_id(task_id: str, kind: Kind, fire_at: datetime) -> str:
    """Also the reply id and the outbox event id of the message it sends: three layers of dedup."""
    return deterministic_id("reminder", task_id, kind, fire_at.astimezone(UTC).isoformat())


def needed(task: Task, owner_timezone: str, settings: ReminderSettings) -> list[Planned]:
    """Every reminder the task's current deadline calls for, past or future."""
    if not settings.enabled or task.due_at is None or task.status != "open" or task.deleted_at is not None:
        return []
    due = task.due_at.astimezone(UTC)
    if not task.due_has_time:
        # A calendar day (stored floating, see ``deadlines``): reminded at the day hour of that
        # day where the recipient is.
        day = due.date()
        fire = datetime.combine(day, time(settings.day_hour), tzinfo=zone(owner_timezone)).astimezone(UTC)
        return [Planned(reminder_id(task.id, "due", fire), "due", fire, due)]
    planned = [Planned(reminder_id(task.id, "due", due), "due", due, due)]
    if settings.lead_minutes:
        lead = due - timedelta(minutes=settings.lead_minutes)
        planned.append(Planned(reminder_id(task.id, "lead", lead), "lead", lead, due))
    return planned


class ReminderPlanner:
    """Replaces a task's pending reminders with what it needs now; never commits."""

    def __init__(
        self,
        session: AsyncSession,
        settings: ReminderSettings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``clock`` overrides the task's ``updated_at`` as the plan's "now" (see the module)."""
        self.session = session
        self.settings = settings
        self._clock = clock

    async def plan(self, task: Task, owner_timezone: str) -> None:
        now = (self._clock() if self._clock is not None else task.updated_at).astimezone(UTC)
        wanted = needed(task, owner_timezone, self.settings)
        cancel = reminders.update().where(reminders.c.task_id == task.id, reminders.c.status == "pending")
        if wanted:
            cancel = cancel.where(reminders.c.id.not_in([r.id for r in wanted]))
        # A row a worker is sending right now is locked: this waits for it, then sees it sent.
        await self.session.execute(cancel.values(status="cancelled"))
        for r in wanted:
            if r.fire_at <= now:
                continue
            insert = upsert_insert(self.session, reminders).values(
                id=r.id,
                task_id=task.id,
                user_id=task.assignee_id or task.user_id,
                kind=r.kind,
                fire_at=r.fire_at,
                due_at=r.due_at,
                status="pending",
                sent_at=None,
                created_at=now,
            )
            # Only a cancelled row comes back; a sent one stays sent (never fired twice).
            await self.session.execute(
                insert.on_conflict_do_update(
                    index_elements=["id"],
                    # The same fire time can serve another deadline (Friday, then Friday 09:30):
                    # the row follows the deadline it is now for.
                    set_={
                        "status": "pending",
                        "user_id": task.assignee_id or task.user_id,
                        "due_at": r.due_at,
                    },
                    where=reminders.c.status != "sent",
                )
            )
