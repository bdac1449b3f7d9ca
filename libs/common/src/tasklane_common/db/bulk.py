"""Many rows in one INSERT: on PostgreSQL each column goes as one array through ``unnest``.

A batch of 500 rows as an executemany makes SQLAlchemy expand them into multi-row VALUES with
thousands of bind parameters, each one processed in Python and encoded on its own; as arrays it
is one parameter per column, encoded by asyncpg in one go, and the statement's text (hence its
cached plan) is the same whatever the batch's size. SQLite (the embedded mode) keeps the
executemany.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import on_postgresql

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def bulk_insert(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> tuple[Any, list[Mapping[str, Any]] | None]:
    """An INSERT of ``rows`` (all with the same keys) for ``session``'s dialect, and the
    parameters to execute it with: ``session.execute(statement, parameters)``. The statement
    takes ``on_conflict_do_nothing/do_update`` and ``returning`` like ``upsert_insert``'s."""
    if not on_postgresql(session):
        return sqlite.insert(table), list(rows)
    names = list(rows[0]) if rows else [c.name for c in table.columns]
    arrays = []
    for name in names:
        column = table.c[name]
        values = [r[name] for r in rows]
        item = column.type.dialect_impl(_PG)
        if isinstance(item, JSON):
            # As text, cast back in the SELECT: an array of jsonb has no bind processing of its own.
            texts = [None if v is None else json.dumps(v) for v in values]
            arrays.append(bindparam(f"u_{name}", texts, type_=postgresql.ARRAY(postgresql.TEXT)))
        else:
            arrays.append(bindparam(f"u_{name}", values, type_=postgresql.ARRAY(column.type)))
    source = func.unnest(*arrays).table_valued(*names).render_derived()
    columns = [
        source.c[n].cast(table.c[n].type)
        if isinstance(table.c[n].type.dialect_impl(_PG), JSON)
        else source.c[n]
        for n in names
    ]
    return postgresql.insert(table).from_select(names, select(*columns)), None
