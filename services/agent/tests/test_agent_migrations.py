"""Upgrading a database that already holds tasks: the search key is filled in for old rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import text

from tasklane_agent.app import MIGRATIONS
from tasklane_common.db import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.settings import DatabaseSettings
from tasklane_common.testing import database_url


async def test_title_keys_are_backfilled_for_existing_tasks() -> None:
    schema = f"t{uuid.uuid4().hex[:10]}_agent"
    db = Database(DatabaseSettings(url=SecretStr(database_url()), schema_name=schema), logical_schema="agent")
    try:
        await upgrade(db, MIGRATIONS, "0004")
        now = datetime(2026, 11, 25, tzinfo=UTC)
        async with db.transaction() as session:
            await session.execute(
                text(
                    f'INSERT INTO "{schema}".tasks (id, user_id, title, status, priority, due_has_time, '
                    "created_at, updated_at) VALUES ('t1', 'u', 'Preparar la Presentación', 'open', "
                    "'normal', false, :now, :now)"
                ),
                {"now": now},
            )
        await upgrade(db, MIGRATIONS)
        async with db.read() as session:
            key = (await session.execute(text(f'SELECT title_key FROM "{schema}".tasks'))).scalar_one()
        assert key == "preparar la presentacion"
    finally:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await db.dispose()


async def test_date_only_deadlines_become_their_calendar_day() -> None:
    schema = f"t{uuid.uuid4().hex[:10]}_agent"
    db = Database(DatabaseSettings(url=SecretStr(database_url()), schema_name=schema), logical_schema="agent")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    try:
        await upgrade(db, MIGRATIONS, "0005")
        async with db.transaction() as session:
            await session.execute(
                text(
                    f'INSERT INTO "{schema}".profiles (user_id, org_id, address, lang, lang_source, '
                    "timezone, timezone_source, created_at, updated_at) VALUES ('madrid', 'o', "
                    "'34600111222', 'es', 'country', 'Europe/Madrid', 'country', :now, :now)"
                ),
                {"now": now},
            )
            # Friday 27 Nov in Madrid, stored the old way: 00:00 there is 23:00 UTC on Thursday.
            for task_id, user, due, timed in (
                ("d", "madrid", datetime(2026, 11, 26, 23, 0, tzinfo=UTC), False),
                ("t", "madrid", datetime(2026, 11, 27, 14, 0, tzinfo=UTC), True),
            ):
                await session.execute(
                    text(
                        f'INSERT INTO "{schema}".tasks (id, user_id, title, title_key, status, priority, '
                        "due_at, due_has_time, created_at, updated_at) VALUES (:id, :user, 'x', 'x', 'open', "
                        "'normal', :due, :timed, :now, :now)"
                    ),
                    {"id": task_id, "user": user, "due": due, "timed": timed, "now": now},
                )
            # Its reminder, planned for 09:00 in Madrid on that Friday, for the old deadline.
            await session.execute(
                text(
                    f'INSERT INTO "{schema}".reminders (id, task_id, user_id, kind, fire_at, due_at, '
                    "status, created_at) VALUES ('r', 'd', 'madrid', 'due', :fire, :due, 'pending', :now)"
                ),
                {"fire": datetime(2026, 11, 27, 8, tzinfo=UTC), "due": datetime(2026, 11, 26, 23, tzinfo=UTC),
                 "now": now},
            )  # fmt: skip
        await upgrade(db, MIGRATIONS)
        async with db.read() as session:
            rows = dict((await session.execute(text(f'SELECT id, due_at FROM "{schema}".tasks'))).all())
            reminder = (await session.execute(text(f'SELECT due_at FROM "{schema}".reminders'))).scalar_one()
        assert rows["d"] == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # Friday, for everyone
        assert reminder == rows["d"]  # still sent: it names the deadline the task has now
        assert rows["t"] == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # an instant stays
    finally:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await db.dispose()
