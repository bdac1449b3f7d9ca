"""Rebuilding the rollups of a range of hours from the raw log (an operator's backfill).

The range's counters, user sets and pricing marks are deleted, then every event of the log
whose fact happened in the range is applied again through the consumer's own code, counting
only into the range; turns received in the range are counted again from their stored times.
Running it twice gives the same figures. Hours older than the raw log's retention have nothing
left to rebuild from: recomputing them would erase their figures, so they are refused.

On PostgreSQL the rollup tables are locked against writes for the duration (reads go on): an
event arriving meanwhile waits, then counts once, on top of the rebuilt figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.eventlog.repository import EventLog, epoch_ms
from tasklane_analytics.rollups.facts import Count
from tasklane_analytics.rollups.store import RollupStore, _response
from tasklane_analytics.rollups.tables import deadlines, hourly_users, priced, rollups, turns


@dataclass(frozen=True)
class Recomputed:
    start: datetime
    end: datetime
    events: int
    turns: int
    overdue: int


async def recompute(
    session: AsyncSession, start: datetime, end: datetime, *, now: datetime, schema: str | None
) -> Recomputed:
    """Rebuild the rollups of the hours in ``[start, end)`` (whole UTC hours). ``schema``: the
    real schema on PostgreSQL (a raw LOCK escapes the translate map), None on SQLite."""
    if schema is not None:
        for table in (rollups, hourly_users, turns, priced, deadlines):
            await session.execute(text(f'LOCK TABLE "{schema}"."{table.name}" IN EXCLUSIVE MODE'))
    lo, hi = epoch_ms(start), epoch_ms(end)
    await session.execute(delete(rollups).where(rollups.c.hour >= start, rollups.c.hour < end))
    await session.execute(delete(hourly_users).where(hourly_users.c.hour >= start, hourly_users.c.hour < end))
    await session.execute(delete(priced).where(priced.c.hour >= start, priced.c.hour < end))
    await session.execute(
        update(turns).where(turns.c.received_ms >= lo, turns.c.received_ms < hi).values(counted_ms=None)
    )
    await session.execute(
        update(deadlines)
        .where(deadlines.c.due_ms >= lo, deadlines.c.due_ms < hi)
        .values(overdue_counted=False)
    )
    store = RollupStore(session, hours=(start, end))
    replayed = 0
    async for page in EventLog(session).replay_moments(lo, hi):
        await store.apply(page, now=now)
        replayed += len(page)
    # Turns whose reply was accepted outside the range: their time is stored, count it.
    pending = (
        await session.execute(
            select(
                turns.c.correlation_id, turns.c.phone_number_id, turns.c.received_ms, turns.c.first_sent_ms
            ).where(
                turns.c.received_ms >= lo,
                turns.c.received_ms < hi,
                turns.c.first_sent_ms.is_not(None),
                turns.c.counted_ms.is_(None),
            )
        )
    ).all()
    counts: list[Count] = []
    for cid, phone, received, sent in pending:
        response = max(0, sent - received)
        counts += _response(received, phone, response, 1)
        await session.execute(update(turns).where(turns.c.correlation_id == cid).values(counted_ms=response))
    await store.add(counts)
    overdue = 0
    while counted := await store.sweep_overdue(now):
        overdue += counted
    return Recomputed(start, end, replayed, len(pending), overdue)
