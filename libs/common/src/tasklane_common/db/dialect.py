"""Statements whose spelling differs between PostgreSQL and SQLite (the embedded mode)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def on_postgresql(session: AsyncSession) -> bool:
    """Whether ``session`` talks to PostgreSQL (else SQLite, the embedded mode)."""
    return session.bind is None or session.bind.dialect.name == "postgresql"


def upsert_insert(session: AsyncSession, table: Table) -> Any:
    """An INSERT for ``session``'s dialect that supports ``on_conflict_do_nothing/do_update``."""
    return (postgresql.insert if on_postgresql(session) else sqlite.insert)(table)
