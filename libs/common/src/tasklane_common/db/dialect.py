"""Statements whose spelling differs between PostgreSQL and SQLite (the embedded mode)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def upsert_insert(session: AsyncSession, table: Table) -> Any:
    """An INSERT for ``session``'s dialect that supports ``on_conflict_do_nothing/do_update``."""
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
