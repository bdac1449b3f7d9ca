"""Old idempotency records are pruned; recent ones, which still guard against redeliveries, stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import Table, func, select, text

from tasklane_common.db import Database, retention, service_metadata
from tasklane_common.db.retention import Pruner, RetentionRule
from tasklane_common.messaging import inbox_table
from tasklane_common.settings import DatabaseSettings
from tasklane_common.testing import cleanup_run, database_url, new_run_id


@dataclass
class Notes:
    db: Database
    inbox: Table


@pytest.fixture
async def notes() -> AsyncIterator[Notes]:
    """A scratch schema with an inbox table, dropped afterwards."""
    rid = new_run_id()
    metadata = service_metadata("notes")
    inbox = inbox_table(metadata)
    db = Database(
        DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{rid}_notes"), logical_schema="notes"
    )
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{rid}_notes"'))
            await conn.run_sync(metadata.create_all)
        yield Notes(db, inbox)
    finally:
        await db.dispose()
        await cleanup_run(rid)


async def test_only_rows_past_retention_are_pruned_in_batches(
    notes: Notes, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, inbox = notes.db, notes.inbox
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    async with db.transaction() as s:
        rows = [
            {"consumer": "c", "event_id": f"old-{i}", "processed_at": now - timedelta(days=40)}
            for i in range(25)
        ]
        rows += [
            {"consumer": "c", "event_id": f"new-{i}", "processed_at": now - timedelta(days=1)}
            for i in range(5)
        ]
        # The same event id, handled recently by another consumer, must survive.
        rows.append({"consumer": "d", "event_id": "old-0", "processed_at": now})
        await s.execute(inbox.insert(), rows)
    monkeypatch.setattr(retention, "BATCH", 10)
    pruner = Pruner(
        db,
        [RetentionRule(inbox, inbox.c.processed_at, inbox.c.event_id, timedelta(days=30))],
        interval_s=3600,
    )
    assert await pruner.prune(now) == 25
    async with db.read() as s:
        left = (await s.execute(select(inbox.c.consumer, inbox.c.event_id))).all()
        assert len(left) == 6
        assert ("d", "old-0") in [tuple(r) for r in left]
        assert (await s.execute(select(func.count()).select_from(inbox))).scalar_one() == 6
    assert await pruner.prune(now) == 0


async def test_a_rule_with_a_condition_keeps_old_rows_that_do_not_meet_it(notes: Notes) -> None:
    db, inbox = notes.db, notes.inbox
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    async with db.transaction() as s:
        old = now - timedelta(days=40)
        keys = [(c, f"{c}{i}") for c in "kp" for i in (1, 2, 3)]
        rows = [{"consumer": c, "event_id": e, "processed_at": old} for c, e in keys]
        await s.execute(inbox.insert(), rows)
    # As a pending reminder must be: old, yet kept.
    rule = RetentionRule(
        inbox, inbox.c.processed_at, inbox.c.event_id, timedelta(days=30), only=inbox.c.consumer == "p"
    )
    assert await Pruner(db, [rule], interval_s=3600).prune(now) == 3
    async with db.read() as s:
        assert set((await s.execute(select(inbox.c.consumer))).scalars()) == {"k"}
