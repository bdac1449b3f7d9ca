"""A batch written with ``bulk_insert`` lands exactly as row-by-row inserts would, on PostgreSQL
(arrays through unnest) and SQLite (executemany) alike: NULLs stay NULL, JSON stays queryable,
times keep their zone, and conflicts are resolved per row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import JSON, BigInteger, Column, DateTime, String, Table, select, text
from sqlalchemy.dialects.postgresql import JSONB

from tasklane_common.db import Database, service_metadata
from tasklane_common.db.bulk import bulk_insert
from tasklane_common.settings import DatabaseSettings
from tasklane_common.testing import cleanup_run, database_url, new_run_id

metadata = service_metadata("bulk")
things = Table(
    "things",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", String(100)),
    Column("payload", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
)


@pytest.fixture(params=["postgresql", "sqlite"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = Database(
            DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path}/bulk.db"), schema_name="bulk"),
            logical_schema="bulk",
        )
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield database
        await database.dispose()
        return
    rid = new_run_id()
    database = Database(
        DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{rid}_bulk"), logical_schema="bulk"
    )
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{rid}_bulk"'))
            await conn.run_sync(metadata.create_all)
        yield database
    finally:
        await database.dispose()
        await cleanup_run(rid)


def _row(i: int, at: datetime) -> dict[str, Any]:
    return {
        "key": f"k{i:03d}",
        "count": i,
        "at": at + timedelta(minutes=i),
        "note": None if i % 2 else f"note «{i}» it's",
        "payload": {"n": i, "nested": {"list": [i, None]}, "text": "ção"},
    }


async def test_a_batch_lands_row_for_row_and_conflicts_resolve_per_row(db: Database) -> None:
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    rows = [_row(i, at) for i in range(300)]
    async with db.transaction() as s:
        insert, params = bulk_insert(s, things, rows)
        added = (await s.execute(insert.on_conflict_do_nothing().returning(things.c.key), params)).scalars()
        assert sorted(added) == [r["key"] for r in rows]

    # Half of them again, plus new ones: the old ones add up, the new ones are inserted.
    again = [_row(i, at) for i in range(150, 450)]
    async with db.transaction() as s:
        stmt, params = bulk_insert(s, things, again)
        await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["key"], set_={"count": things.c.count + stmt.excluded.count}
            ),
            params,
        )

    async with db.transaction() as s:
        stored = {r.key: r for r in (await s.execute(select(things))).all()}
    assert len(stored) == 450
    for i in range(450):
        row = stored[f"k{i:03d}"]
        expected = _row(i, at)
        assert row.count == (2 * i if 150 <= i < 300 else i)
        assert row.note == expected["note"]
        stamp = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        assert stamp == expected["at"]
        assert row.payload == expected["payload"]
