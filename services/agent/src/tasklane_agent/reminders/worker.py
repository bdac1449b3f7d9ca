"""Fires due reminders: one loop per agent replica, each reminder sent once whatever the count.

Exactly once, in three layers:

1. One transaction claims due rows, marks them sent and writes their ``reply.requested`` to the
   outbox. A crash before the commit leaves them pending and writes nothing (the next round, on
   any replica, fires them); after it, the row is sent and the message is in the outbox, which
   the relay publishes at least once.
2. Replicas claim with ``FOR UPDATE SKIP LOCKED`` on ``status = 'pending'``: a row locked by one is
   skipped by the others, and one already committed as sent no longer matches (PostgreSQL checks
   the condition again on the row's newest version). The planner's cancel waits for such a lock
   too, so a reminder being sent is never cancelled under it, nor sent after being cancelled.
   SQLite (the embedded mode) has one writer at a time, so a plain select claims the same way.
3. The reminder id is the outbox event id and the reply id: a republished envelope is dropped by
   the sender's inbox, and the sender keeps one outbound message per reply id.

Rows are checked against their task when claimed: a task done, deleted or moved since (the
planner cancels those, but a row may predate a change made without it) cancels the row instead.
After a long outage every missed reminder still goes out, once, logged as late; a "coming up"
one whose deadline has passed by then is dropped, the "due" one says it all.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import Profile, Task
from tasklane_agent.domain.deadlines import zone
from tasklane_agent.i18n import format_due, t
from tasklane_agent.metrics import AgentMetrics
from tasklane_agent.settings import ReminderSettings
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.storage.replies import ReplySubjects
from tasklane_agent.storage.rows import task_of, utc_required
from tasklane_agent.storage.tables import reminders, tasks
from tasklane_common.background import cancel
from tasklane_common.db.engine import Database
from tasklane_common.logging import get_logger
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.outbox import Outbox
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)

Clock = Callable[[], datetime]
Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]
# Later than this after its time, a reminder is logged as late (the workers were behind or down).
LATE_AFTER = timedelta(minutes=1)
MAX_BACKOFF_S = 30.0
# Sent and cancelled rows are kept this long after their time, then pruned. Safe: the planner
# never creates a reminder whose time has passed, so a pruned row can never be made again.
RETENTION = timedelta(days=30)


def render(kind: str, task: Task, due_at: datetime, owner: Profile, now: datetime) -> str:
    """The reminder in the owner's language, the deadline in their timezone."""
    when = format_due(due_at, task.due_has_time, zone(owner.timezone), now, owner.lang)
    if kind == "lead":
        # What is left when it is sent, not the configured lead: a late one says the truth.
        minutes = max(1, math.ceil((due_at - now).total_seconds() / 60))
        return t(owner.lang, "reminder_lead", title=task.title, when=when, minutes=minutes)
    return t(owner.lang, "reminder_due", title=task.title, when=when)


def _drop_reason(row: Any, task: Task | None, owner: Profile | None, now: datetime) -> str | None:
    """Why a claimed row must not be sent, if it must not."""
    if task is None or task.status != "open" or task.deleted_at is not None:
        return "task_closed"
    if task.due_at is None or task.due_at != utc_required(row.due_at):
        return "deadline_moved"
    if row.user_id != (task.assignee_id or task.user_id):
        return "reassigned"  # planned for someone else, before the task changed hands
    if owner is None:
        return "no_profile"  # nobody to send it to (a task made through the API for a stranger)
    if row.kind == "lead" and task.due_at <= now:
        return "superseded"  # late: the "due" reminder goes out instead
    return None


class ReminderWorker:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        settings: ReminderSettings,
        *,
        clock: Clock,
        notify: Callable[[], None] | None = None,
        on_sent: Callable[[bool], None] | None = None,
    ) -> None:
        """``notify`` wakes the outbox relay after a commit that added messages; ``on_sent`` is
        told, after that commit, of each reminder sent (late or not: the metrics)."""
        self.db = db
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.notify = notify
        self.on_sent = on_sent
        self.sent = 0
        # Whether each reminder of the round being committed was late.
        self._lateness: list[bool] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reminder-worker")

    async def stop(self) -> None:
        # A round cut short rolls back: its rows stay pending for the next start (or replica).
        await cancel(self._task)
        self._task = None

    async def _run(self) -> None:
        backoff = self.settings.poll_interval_s
        while True:
            try:
                if await self.fire_due() >= self.settings.batch_size:
                    continue  # more are due: no pause
                delay = await self._until_next()
                backoff = self.settings.poll_interval_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database down: the rows wait, pending
                backoff = delay = min(backoff * 2, MAX_BACKOFF_S)
                log.warning("reminders_failed", error=f"{type(exc).__name__}: {exc}", retry_in_s=delay)
            await asyncio.sleep(delay)

    async def _until_next(self) -> float:
        """The poll interval, or less when the next reminder is due sooner."""
        async with self.db.read() as session:
            next_at = (
                await session.execute(
                    select(func.min(reminders.c.fire_at)).where(reminders.c.status == "pending")
                )
            ).scalar_one()
        poll = self.settings.poll_interval_s
        if next_at is None:
            return poll
        wait = (utc_required(next_at) - self.clock().astimezone(UTC)).total_seconds()
        # Due already but not claimed: another replica holds it. Its turn; ours at the next poll.
        return poll if wait <= 0 else min(poll, wait)

    async def fire_due(self) -> int:
        """One round: claim what is due, send it (through the outbox), mark it; rows claimed."""
        self._lateness = []
        async with self.db.transaction() as session:
            now = self.clock().astimezone(UTC)
            claim = (
                select(reminders)
                .where(reminders.c.status == "pending", reminders.c.fire_at <= now)
                .order_by(reminders.c.fire_at)
                .limit(self.settings.batch_size)
            )
            if not self.db.is_sqlite:
                claim = claim.with_for_update(skip_locked=True)
            rows = (await session.execute(claim)).all()
            if not rows:
                return 0
            sent, dropped = await self._send(session, rows, now)
            if sent:
                await session.execute(
                    reminders.update().where(reminders.c.id.in_(sent)).values(status="sent", sent_at=now)
                )
            if dropped:
                await session.execute(
                    reminders.update().where(reminders.c.id.in_(dropped)).values(status="cancelled")
                )
        self.sent += len(sent)
        if self.on_sent is not None:
            for late in self._lateness:
                self.on_sent(late)
        if sent and self.notify is not None:
            self.notify()
        return len(rows)

    async def _send(
        self, session: AsyncSession, rows: Sequence[Any], now: datetime
    ) -> tuple[list[str], list[str]]:
        """Write the messages of ``rows`` to the outbox; (ids sent, ids dropped)."""
        found = await session.execute(select(tasks).where(tasks.c.id.in_({r.task_id for r in rows})))
        by_id = {task.id: task for task in map(task_of, found)}
        owners = await ProfileRepository(session).many(list({r.user_id for r in rows}))
        sent: list[str] = []
        dropped: list[str] = []
        about: list[tuple[str, str, str]] = []  # a reminder is about its task (``reactions``)
        for row in rows:
            task = by_id.get(row.task_id)
            owner = owners.get(row.user_id)
            due_at = utc_required(row.due_at)
            reason = _drop_reason(row, task, owner, now)
            if reason is not None or task is None or owner is None:
                log.info("reminder_dropped", reminder_id=row.id, task_id=row.task_id, reason=reason)
                dropped.append(row.id)
                continue
            await self.outbox.add(
                session,
                ReplyRequested(
                    reply_id=row.id,
                    phone_number_id=owner.org_id,
                    to=owner.address,
                    user_id=owner.user_id,
                    kind="text",
                    content={"body": render(row.kind, task, due_at, owner, now), "preview_url": False},
                    reminder=row.kind,
                ),
                event_id=row.id,
                correlation_id=row.id,
            )
            late_s = (now - utc_required(row.fire_at)).total_seconds()
            late = late_s > LATE_AFTER.total_seconds()
            fields = {
                "reminder_id": row.id,
                "task_id": row.task_id,
                "kind": row.kind,
                "late_s": round(late_s),
            }
            if late:
                log.warning("reminder_sent_late", **fields)
            else:
                log.info("reminder_sent", **fields)
            sent.append(row.id)
            about.append((row.id, owner.user_id, task.id))
            self._lateness.append(late)
        await ReplySubjects(session).remember(about, now)
        return sent, dropped


def with_reminders(
    runtime: ServiceRuntime, settings: ReminderSettings, clock: Clock, *, metrics: AgentMetrics | None = None
) -> Lifespan:
    """``runtime``'s lifespan with the reminder worker inside it: started once the database is
    migrated, stopped before the runtime's last outbox flush (so what it sent goes out)."""
    # A pending reminder is never pruned, however late: it is sent once a replica is back.
    runtime.retain(
        reminders,
        aged_by=reminders.c.fire_at,
        key=reminders.c.id,
        keep=RETENTION,
        only=reminders.c.status != "pending",
    )

    @asynccontextmanager
    async def lifespan(app: object = None) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            assert runtime.outbox is not None, "the agent has an outbox"
            relay = runtime.relay
            worker = ReminderWorker(
                runtime.db,
                runtime.outbox,
                settings,
                clock=clock,
                notify=relay.notify if relay is not None else None,
                on_sent=(lambda late: metrics.reminder_sent(late=late)) if metrics is not None else None,
            )
            state = getattr(app, "state", None)
            if state is not None:
                state.reminder_worker = worker  # for health pages and tests: what it has sent
            if settings.enabled:
                worker.start()
            try:
                yield
            finally:
                await worker.stop()

    return lifespan
