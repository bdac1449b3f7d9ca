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
