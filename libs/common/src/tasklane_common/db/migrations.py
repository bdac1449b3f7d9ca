"""Alembic, run programmatically: one migration history per service, in the service's schema.

Each service keeps ``alembic/`` next to its package with an ``env.py`` of three lines that calls
:func:`run_env`. Migrations declare tables with the logical schema name; the translate map of the
connection turns it into the real schema (or none on SQLite), so one history serves PostgreSQL,
the per-run test schemas and the embedded SQLite mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from tasklane_common.db.engine import Database

# Serialises concurrent migrations of replicas starting together; any stable 64-bit number works.
_ADVISORY_LOCK_ID = 0x7461736B6C616E


def _config(script_location: Path, connection: Connection, db: Database, settings: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = db.schema
    cfg.attributes["logical_schema"] = db.logical_schema
    # The service's settings, for a data migration that needs one (e.g. a key); may be None.
    cfg.attributes["settings"] = settings
    return cfg


async def upgrade(
    db: Database, script_location: Path, revision: str = "head", *, settings: Any = None
) -> None:
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))

        def _run(sync_conn: Connection) -> None:
            command.upgrade(_config(script_location, sync_conn, db, settings), revision)

        await conn.run_sync(_run)


def run_env(context: Any, target_metadata: MetaData) -> None:
    """Body of every service's ``env.py``: online mode only, on the connection handed over."""
    connection: Connection = context.config.attributes["connection"]
    schema: str | None = context.config.attributes["schema"]
    opts: dict[str, Any] = {
        "connection": connection,
        "target_metadata": target_metadata,
        "version_table_schema": schema,
        "include_schemas": schema is not None,
        "render_as_batch": connection.dialect.name == "sqlite",
    }
    context.configure(**opts)
    with context.begin_transaction():
        context.run_migrations()
