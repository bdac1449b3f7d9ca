"""Reminders on the real PostgreSQL: what the planner keeps for a task through its changes, and
workers that fire each due reminder once, in the owner's language and timezone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, select

from tasklane_agent.app import MIGRATIONS
from tasklane_agent.domain import Profile, Task
from tasklane_agent.i18n import format_due, t
from tasklane_agent.reminders.planner import ReminderPlanner, reminder_id
from tasklane_agent.reminders.worker import ReminderWorker
from tasklane_agent.settings import ReminderSettings
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.storage.tables import outbox, reminders, tasks
from tasklane_agent.workspace import TaskChanges, Workspace
from tasklane_common.db import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.messaging.outbox import Outbox
from tasklane_common.settings import DatabaseSettings
from tasklane_common.testing import cleanup_run, database_url, new_run_id

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
SETTINGS = ReminderSettings(lead_minutes=30, day_hour=9, poll_interval_s=0.05, batch_size=5)
ORG = "1234567890"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Env:
    db: Database
    outbox: Outbox

    def worker(
        self, clock: Clock, settings: ReminderSettings = SETTINGS, db: Database | None = None
    ) -> ReminderWorker:
        return ReminderWorker(db or self.db, self.outbox, settings, clock=clock)

    async def profile(self, *, lang: str = "en", zone: str = "UTC") -> Profile:
        user_id = f"u-{uuid.uuid4().hex[:8]}"
        async with self.db.transaction() as session:
            repo = ProfileRepository(session)
            await repo.meet(
                user_id=user_id,
                org_id=ORG,
                address="4915" + str(uuid.uuid4().int)[:9],
                name="Ana",
                default_timezone="UTC",
                now=NOW,
            )
            await repo.update(user_id, NOW, lang=lang, timezone=zone)
            profile = await repo.get(user_id)
        assert profile is not None
        return profile

    async def act(
        self, actor: Profile, op: Any, *, at: datetime = NOW, settings: ReminderSettings = SETTINGS
    ) -> Any:
        """Run ``op(workspace)`` in one transaction, the workspace planning with a real planner."""
        async with self.db.transaction() as session:
            ws = Workspace(
                session,
                actor,
                now=at.astimezone(ZoneInfo(actor.timezone)),
                seed=uuid.uuid4().hex,
                planner=ReminderPlanner(session, settings),
            )
            return await op(ws)

    async def rows(self, task_id: str) -> dict[str, Any]:
        async with self.db.read() as session:
            found = await session.execute(select(reminders).where(reminders.c.task_id == task_id))
            return {r.id: r for r in found}

    async def pending(self, task_id: str) -> set[tuple[str, datetime]]:
        return {
            (r.kind, _utc(r.fire_at)) for r in (await self.rows(task_id)).values() if r.status == "pending"
        }

    async def messages(self, ids: set[str] | None = None) -> list[dict[str, Any]]:
        async with self.db.read() as session:
            bodies = (await session.execute(select(outbox.c.event_id, outbox.c.body))).all()
        envelopes = [orjson.loads(b.body) for b in bodies if ids is None or b.event_id in ids]
        return [e for e in envelopes if e["type"] == "reply.requested"]


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[Env]:
    run_id = new_run_id()
    settings = DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{run_id}_agent")
    db = Database(settings, logical_schema="agent")
    try:
        await upgrade(db, MIGRATIONS)
        yield Env(db, Outbox(outbox, producer="agent"))
    finally:
        await db.dispose()
        await cleanup_run(run_id)


def _create(title: str, due: datetime | None, *, has_time: bool = True) -> Any:
    async def op(ws: Workspace) -> Task:
        return await ws.tasks.create_task(title, due_at=due, due_has_time=has_time)

    return op


# ---------------------------------------------------------------------------------------- planner


async def test_a_timed_deadline_gets_a_lead_and_a_due_reminder_and_planning_twice_changes_nothing(
    env: Env,
) -> None:
    ana = await env.profile()
    due = NOW + timedelta(hours=2)
    task = await env.act(ana, _create("Call the bank", due))
    assert await env.pending(task.id) == {("due", due), ("lead", due - timedelta(minutes=30))}
    before = await env.rows(task.id)
    assert set(before) == {
        reminder_id(task.id, "due", due),
        reminder_id(task.id, "lead", due - timedelta(minutes=30)),
    }

    async with env.db.transaction() as session:
        planner = ReminderPlanner(session, SETTINGS)
        await planner.plan(task, "UTC")
        await planner.plan(task, "UTC")
    after = await env.rows(task.id)
    assert {k: tuple(v) for k, v in after.items()} == {k: tuple(v) for k, v in before.items()}


async def test_reminders_whose_time_has_passed_when_planned_are_not_created(env: Env) -> None:
    ana = await env.profile()
    soon = await env.act(ana, _create("Soon", NOW + timedelta(minutes=10)))
    assert await env.pending(soon.id) == {("due", NOW + timedelta(minutes=10))}  # no lead: 20 min ago
    past = await env.act(ana, _create("Yesterday's", NOW - timedelta(days=1)))
    assert await env.rows(past.id) == {}
    undated = await env.act(ana, _create("Someday", None))
    assert await env.rows(undated.id) == {}
    off = await env.act(
        ana, _create("Muted", NOW + timedelta(hours=1)), settings=ReminderSettings(enabled=False)
    )
    assert await env.rows(off.id) == {}
    no_lead = await env.act(
        ana, _create("Just due", NOW + timedelta(hours=1)), settings=ReminderSettings(lead_minutes=0)
    )
    assert await env.pending(no_lead.id) == {("due", NOW + timedelta(hours=1))}


@pytest.mark.parametrize(
    ("zone", "expected_utc"),
    [
        ("Europe/Madrid", datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),  # 09:00 CET
        ("America/Sao_Paulo", datetime(2026, 11, 27, 12, 0, tzinfo=UTC)),  # 09:00 BRT
        ("Asia/Tokyo", datetime(2026, 11, 27, 0, 0, tzinfo=UTC)),  # 09:00 JST
    ],
)
async def test_a_date_only_deadline_is_reminded_at_the_day_hour_in_the_owners_timezone(
    env: Env, zone: str, expected_utc: datetime
) -> None:
    owner = await env.profile(zone=zone)
    day = datetime(2026, 11, 27, tzinfo=ZoneInfo(zone))  # stored as 00:00 local, in UTC
    task = await env.act(owner, _create("Pay rent", day, has_time=False))
    assert await env.pending(task.id) == {("due", expected_utc)}


async def test_changes_move_cancel_and_bring_back_the_reminders(env: Env) -> None:
    ana = await env.profile()
    first = NOW + timedelta(hours=3)
    later = NOW + timedelta(days=1, hours=3)
    task = await env.act(ana, _create("Send the report", first))
    moved = {("due", later), ("lead", later - timedelta(minutes=30))}

    async def move(ws: Workspace) -> Any:
        return await ws.tasks.update_task(task.id, TaskChanges(due_at=later, due_has_time=True))

    await env.act(ana, move)
    assert await env.pending(task.id) == moved
    assert {r.status for r in (await env.rows(task.id)).values() if _utc(r.due_at) == first} == {"cancelled"}

    async def complete(ws: Workspace) -> Any:
        return await ws.tasks.complete_task(task.id)

    await env.act(ana, complete)
    assert await env.pending(task.id) == set()

    async def reopen(ws: Workspace) -> Any:
        return await ws.tasks.reopen_task(task.id)

    await env.act(ana, reopen)
    assert await env.pending(task.id) == moved  # the cancelled rows, pending again

    async def remove(ws: Workspace) -> Any:
        await ws.tasks.delete_task(task.id)
        return ws.tasks.undo_record()

    record = await env.act(ana, remove)
    assert await env.pending(task.id) == set()

    async def undo(ws: Workspace) -> Any:
        return await ws.tasks.undo(record)

    await env.act(ana, undo)
    assert await env.pending(task.id) == moved

    async def undate(ws: Workspace) -> Any:
        return await ws.tasks.update_task(task.id, TaskChanges(due_at=None))

    await env.act(ana, undate)
    assert await env.pending(task.id) == set()
    async with env.db.read() as session:
        count = len(
            (await session.execute(select(reminders.c.id).where(reminders.c.task_id == task.id))).all()
        )
    assert count == 4  # two deadlines, two reminders each: rows are reused, never duplicated


# ---------------------------------------------------------------------------------------- worker


async def test_the_worker_sends_each_reminder_once_at_its_time_in_the_owners_words(env: Env) -> None:
    ines = await env.profile(lang="es", zone="Europe/Madrid")
    due = NOW + timedelta(hours=1)
    task = await env.act(ines, _create("Llamar al banco", due))
    clock = Clock(NOW)
    worker = env.worker(clock)
    ids = set(await env.rows(task.id))

    assert await worker.fire_due() == 0  # nothing is due yet
    clock.at = due - timedelta(minutes=30)
    await worker.fire_due()
    lead_id = reminder_id(task.id, "lead", due - timedelta(minutes=30))
    (lead,) = await env.messages({lead_id})
    when = format_due(due, True, ZoneInfo("Europe/Madrid"), clock.at, "es")
    assert when == "mié 25 nov, 11:00"
    assert lead["id"] == lead_id
    assert lead["payload"]["reply_id"] == lead_id
    assert lead["payload"]["to"] == ines.address
    assert lead["payload"]["phone_number_id"] == ORG
    assert lead["payload"]["user_id"] == ines.user_id
    assert lead["payload"]["content"]["body"] == t(
        "es", "reminder_lead", title="Llamar al banco", when=when, minutes=30
    )

    assert await worker.fire_due() == 0  # sent: never claimed again
    clock.at = due + timedelta(seconds=2)
    await worker.fire_due()
    (due_message,) = await env.messages({reminder_id(task.id, "due", due)})
    assert due_message["payload"]["content"]["body"] == t(
        "es", "reminder_due", title="Llamar al banco", when=when
    )
    assert due_message["payload"]["content"]["body"].startswith("⏰ Recordatorio: *Llamar al banco*")
    assert await worker.fire_due() == 0
    assert len(await env.messages(ids)) == 2
    assert {r.status for r in (await env.rows(task.id)).values()} == {"sent"}
    assert all(_utc(r.sent_at) >= _utc(r.fire_at) for r in (await env.rows(task.id)).values())


async def test_a_sent_reminder_is_not_made_again_when_the_deadline_comes_back(env: Env) -> None:
    ana = await env.profile()
    due = NOW + timedelta(hours=2)
    task = await env.act(ana, _create("Water the plants", due))
    clock = Clock(due - timedelta(minutes=29))
    await env.worker(clock).fire_due()  # the lead reminder goes out
    lead_id = reminder_id(task.id, "lead", due - timedelta(minutes=30))

    async def set_due(at: datetime) -> Any:
        async def op(ws: Workspace) -> Any:
            return await ws.tasks.update_task(task.id, TaskChanges(due_at=at, due_has_time=True))

        return op

    # Pushed back by a day, then back to the same deadline (an undo, or a change of mind) an hour
    # before it is due: the sent lead stays sent, the due one is pending again.
    await env.act(ana, await set_due(due + timedelta(days=1)), at=due - timedelta(hours=1, minutes=1))
    await env.act(ana, await set_due(due), at=due - timedelta(hours=1))
    rows = await env.rows(task.id)
    assert rows[lead_id].status == "sent"
    assert await env.pending(task.id) == {("due", due)}
    await env.worker(Clock(due + timedelta(hours=1))).fire_due()
    assert len(await env.messages({lead_id})) == 1


async def test_late_reminders_go_out_once_and_a_passed_lead_gives_way_to_the_due_one(env: Env) -> None:
    ana = await env.profile(lang="pt", zone="America/Sao_Paulo")
    due = NOW + timedelta(hours=2)
    task = await env.act(ana, _create("Pagar a conta", due))
    # Every replica was down for five hours: both reminders are overdue when a worker is back.
    worker = env.worker(Clock(due + timedelta(hours=3)))
    await worker.fire_due()
    rows = await env.rows(task.id)
    assert rows[reminder_id(task.id, "due", due)].status == "sent"
    assert rows[reminder_id(task.id, "lead", due - timedelta(minutes=30))].status == "cancelled"
    (message,) = await env.messages(set(rows))
    assert message["payload"]["content"]["body"].startswith("⏰ Lembrete: *Pagar a conta* vence ")
    assert await worker.fire_due() == 0


async def test_a_row_whose_task_changed_behind_the_planner_is_dropped_not_sent(env: Env) -> None:
    ana = await env.profile()
    due = NOW + timedelta(hours=1)
    gone = await env.act(ana, _create("Gone", due))
    moved = await env.act(ana, _create("Moved", due))
    async with env.db.transaction() as session:
        await session.execute(delete(tasks).where(tasks.c.id == gone.id))
        await session.execute(
            tasks.update().where(tasks.c.id == moved.id).values(due_at=due + timedelta(days=2))
        )
    await env.worker(Clock(due + timedelta(minutes=1))).fire_due()
    for task in (gone, moved):
        rows = await env.rows(task.id)
        assert {r.status for r in rows.values()} == {"cancelled"}
        assert await env.messages(set(rows)) == []


async def test_two_workers_racing_on_the_same_rows_fire_each_reminder_once(env: Env) -> None:
    ana = await env.profile()
    due = NOW + timedelta(hours=4)
    created = [await env.act(ana, _create(f"Task {n}", due + timedelta(minutes=n))) for n in range(30)]
    ids = {rid for task in created for rid in await env.rows(task.id)}
    assert len(ids) == 60
    # Two replicas: two engines, two connection pools, small batches so that they overlap.
    other = Database(
        DatabaseSettings(url=SecretStr(database_url()), schema_name=env.db.schema), logical_schema="agent"
    )
    try:
        clock = Clock(due - timedelta(minutes=1))  # first every "coming up", then every "due"
        workers = [env.worker(clock), env.worker(clock, db=other)]

        async def drain(worker: ReminderWorker) -> None:
            # Until a round finds nothing left: rows the other holds are skipped, not waited for.
            while await worker.fire_due():
                pass

        for clock.at in (due - timedelta(minutes=1), due + timedelta(hours=1)):
            await asyncio.gather(*(drain(w) for w in workers), *(drain(w) for w in workers))
    finally:
        await other.dispose()
    messages = await env.messages(ids)
    assert sorted(m["id"] for m in messages) == sorted(ids)  # each once (the outbox id is unique too)
    assert sorted(m["payload"]["reply_id"] for m in messages) == sorted(ids)
    assert sum(w.sent for w in workers) == 60
    async with env.db.read() as session:
        statuses = (await session.execute(select(reminders.c.status).where(reminders.c.id.in_(ids)))).all()
    assert {s for (s,) in statuses} == {"sent"}


async def test_the_embedded_mode_on_sqlite_plans_and_fires_the_same_way(tmp_path: Path) -> None:
    settings = DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"))
    db = Database(settings, logical_schema="agent")
    try:
        await upgrade(db, MIGRATIONS)
        lite = Env(db, Outbox(outbox, producer="agent"))
        ana = await lite.profile(lang="pt", zone="America/Sao_Paulo")
        due = NOW + timedelta(hours=1)
        task = await lite.act(ana, _create("Pagar a conta", due))
        await lite.act(ana, _create("Pagar a conta", due))  # another task, its own reminders

        async def done(ws: Workspace) -> Any:
            return await ws.tasks.complete_task(task.id)

        async def reopen(ws: Workspace) -> Any:
            return await ws.tasks.reopen_task(task.id)

        await lite.act(ana, done)
        await lite.act(ana, reopen)  # cancelled, then pending again: the upsert's condition
        assert await lite.pending(task.id) == {("due", due), ("lead", due - timedelta(minutes=30))}
        clock = Clock(due - timedelta(minutes=30))
        worker = lite.worker(clock)
        assert await worker.fire_due() == 2  # both tasks' "coming up"
        clock.at = due
        assert await worker.fire_due() == 2  # both tasks' "due"
        assert await worker.fire_due() == 0
        assert {r.status for r in (await lite.rows(task.id)).values()} == {"sent"}
        bodies = sorted(
            m["payload"]["content"]["body"] for m in await lite.messages(set(await lite.rows(task.id)))
        )
        assert bodies == [
            "⏰ Está chegando: *Pagar a conta* vence qua 25 nov, 07:00 (em 30 min).",
            "⏰ Lembrete: *Pagar a conta* vence qua 25 nov, 07:00.",
        ]
    finally:
        await db.dispose()
