"""Which of a service's queues are paused, in the service's own schema.

One row per queue ever paused; ``issued_at`` is the time the operator's command was issued, so
that every replica may write the command it received and the newest command wins whatever order
the writes arrive in (a late copy of a pause never undoes the resume that followed it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_common.db.engine import Database


def consumer_pauses_table(metadata: MetaData) -> Table:
    return Table(
        "consumer_pauses",
        metadata,
        Column("queue", String(200), primary_key=True),
        Column("paused", Boolean, nullable=False),
        Column("issued_at", DateTime(timezone=True), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("command_id", String(64), nullable=False),
    )


async def paused_queues(db: Database, table: Table) -> set[str]:
    async with db.read() as session:
        rows = await session.execute(select(table.c.queue).where(table.c.paused.is_(True)))
        return set(rows.scalars().all())


async def set_paused(
    session: AsyncSession,
    table: Table,
    *,
    queue: str,
    paused: bool,
    issued_at: datetime,
    actor: str,
    command_id: str,
) -> bool:
    """Record the command unless a newer one is recorded; True when this write changed the row
    (the first replica to apply a command; the others find it there)."""
    values = {
        "queue": queue,
        "paused": paused,
        "issued_at": issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=UTC),
        "actor": actor[:200],
        "command_id": command_id[:64],
    }
    insert = upsert_insert(session, table).values(**values)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.queue],
        set_={k: insert.excluded[k] for k in ("paused", "issued_at", "actor", "command_id")},
        where=table.c.issued_at < insert.excluded.issued_at,
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
