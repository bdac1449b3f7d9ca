"""Idempotent consumers: the inbox row and the handler's effects commit in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.bulk import bulk_insert
from tasklane_common.db.dialect import upsert_insert


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(200), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        # Pruned by age (tasklane_common.db.retention).
        Index(None, "processed_at"),
    )


async def claim(session: AsyncSession, table: Table, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` handles ``event_id``; False if it already did.

    On PostgreSQL a concurrent duplicate blocks on the uncommitted row, then sees the conflict:
    two deliveries of one event can never both pass.
    """
    values = {"consumer": consumer, "event_id": event_id, "processed_at": datetime.now(UTC)}
    insert = upsert_insert(session, table)
    result = await session.execute(insert.values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_many(session: AsyncSession, table: Table, consumer: str, event_ids: list[str]) -> set[str]:
    """``claim`` for a batch: the ids this consumer had not handled yet."""
    if not event_ids:
        return set()
    now = datetime.now(UTC)
    # Sorted, so concurrent batches with overlapping ids take their row locks in one order.
    rows = [{"consumer": consumer, "event_id": eid, "processed_at": now} for eid in sorted(event_ids)]
    insert, params = bulk_insert(session, table, rows)
    result = await session.execute(insert.on_conflict_do_nothing().returning(table.c.event_id), params)
    return set(result.scalars().all())
