"""Each service's Alembic history builds exactly the tables its code declares, on PostgreSQL (in
the service's own schema) and on SQLite (the embedded mode), and can be applied twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import MetaData, inspect, select
from sqlalchemy.engine import Connection

from tasklane_agent.app import MIGRATIONS as AGENT_MIGRATIONS
from tasklane_agent.storage.tables import metadata as agent_metadata
from tasklane_analytics.app import MIGRATIONS as ANALYTICS_MIGRATIONS
from tasklane_analytics.tables import metadata as analytics_metadata
from tasklane_common.db import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.settings import DatabaseSettings
from tasklane_common.testing import cleanup_run, database_url, new_run_id
from tasklane_gateway.app import MIGRATIONS as GATEWAY_MIGRATIONS
from tasklane_gateway.tables import metadata as gateway_metadata
from tasklane_sender.app import MIGRATIONS as SENDER_MIGRATIONS
from tasklane_sender.tables import metadata as sender_metadata

SERVICES = {
    "gateway": (gateway_metadata, GATEWAY_MIGRATIONS),
    "agent": (agent_metadata, AGENT_MIGRATIONS),
    "sender": (sender_metadata, SENDER_MIGRATIONS),
    "analytics": (analytics_metadata, ANALYTICS_MIGRATIONS),
}


def _retarget(metadata: MetaData, schema: str | None) -> MetaData:
    """The service's tables as they should exist in ``schema`` (None: SQLite's only schema)."""
    target = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(target, schema=schema)
    return target


def _differences(conn: Connection, metadata: MetaData, schema: str | None) -> list[Any]:
    def in_schema(name: str | None, type_: str, _parent: Any) -> bool:
        return type_ != "schema" or name == schema

    context = MigrationContext.configure(
        conn,
        opts={
            "include_schemas": schema is not None,
            "include_name": in_schema,
            "compare_type": True,
            "version_table_schema": schema,
        },
    )
    return [
        d
        for d in compare_metadata(context, _retarget(metadata, schema))
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ]


@pytest.fixture(scope="module")
async def run_id_schema() -> Any:
    rid = new_run_id()
    yield rid
    await cleanup_run(rid)


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_migrations_match_models_on_postgresql(service: str, run_id_schema: str) -> None:
    metadata, migrations = SERVICES[service]
    schema = f"{run_id_schema}_{service}"
    db = Database(DatabaseSettings(url=SecretStr(database_url()), schema_name=schema), logical_schema=service)
    try:
        await upgrade(db, migrations)
        await upgrade(db, migrations)  # a second start (or replica) changes nothing
        async with db.engine.connect() as conn:
            diffs = await conn.run_sync(_differences, metadata, schema)
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names(schema=schema)))
        assert diffs == []
        assert tables == {t.name for t in metadata.tables.values()} | {"alembic_version"}
    finally:
        await db.dispose()


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_migrations_match_models_on_sqlite(service: str, tmp_path: Path) -> None:
    metadata, migrations = SERVICES[service]
    db = Database(
        DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path}/{service}.db")),
        logical_schema=service,
    )
    try:
        await upgrade(db, migrations)
        async with db.engine.connect() as conn:
            diffs = await conn.run_sync(_differences, metadata, None)
        assert diffs == []
    finally:
        await db.dispose()


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
async def test_multiplied_dead_letters_collapse_into_one_record(
    engine: str, run_id_schema: str, tmp_path: Path
) -> None:
    if engine == "sqlite":
        settings = DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path}/sender.db"))
    else:
        settings = DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{run_id_schema}_collapse")
    db = Database(settings, logical_schema="sender")
    table = sender_metadata.tables["sender.dead_letters"]
    at = datetime(2026, 1, 1, tzinfo=UTC)

    def row(
        origin: str, reason: str, replay_count: int, replayed: bool, event_id: str = "e1"
    ) -> dict[str, Any]:
        return {
            "queue": "sender.inbound",
            "event_id": event_id,
            "origin": origin,
            "event_type": "reply.requested",
            "reason": reason,
            "body": b"{}",
            "headers": {"n": reason},
            "dead_at": at + timedelta(minutes=replay_count),
            "replayed_at": at if replayed else None,
            "replay_count": replay_count,
        }

    try:
        await upgrade(db, SENDER_MIGRATIONS, "0005")
        async with db.transaction() as s:
            # A poison reply, replayed twice (each replay died again), plus an unrelated letter.
            await s.execute(
                table.insert(),
                [
                    row("", "first", 1, True),
                    row("1.1", "second", 1, True),
                    row("2.1", "third", 0, False),
                    row("", "other", 0, False, event_id="e2"),
                ],
            )
        await upgrade(db, SENDER_MIGRATIONS)
        async with db.read() as s:
            rows = (await s.execute(select(table).order_by(table.c.id))).all()
        assert [(r.event_id, r.origin, r.reason, r.replay_count, r.replayed_at) for r in rows] == [
            ("e1", "", "third", 2, None),
            ("e2", "", "other", 0, None),
        ]
        assert rows[0].headers == {"n": "third"}
    finally:
        await db.dispose()
