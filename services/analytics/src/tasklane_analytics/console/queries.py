"""The console's reads of the event log that the analytics API does not offer (yet).

Types, producers, times and correlation ids only: the console never shows a payload.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.eventlog.tables import events

HOUR_MS = 3_600_000


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


async def latest_events(session: AsyncSession, *, limit: int = 20) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(
                events.c.event_id,
                events.c.type,
                events.c.producer,
                events.c.occurred_at,
                events.c.correlation_id,
            )
            .order_by(events.c.recorded_at.desc(), events.c.occurred_ms.desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "event_id": r.event_id,
            "type": r.type,
            "producer": r.producer,
            "occurred_at": (r.occurred_at if r.occurred_at.tzinfo else r.occurred_at.replace(tzinfo=UTC)),
            "correlation_id": r.correlation_id,
        }
        for r in rows
    ]


async def counts_by_type(session: AsyncSession, *, since: datetime) -> dict[str, int]:
    """Events recorded since ``since``, by type (recorded, not occurred: what just came in)."""
    rows = (
        await session.execute(
            select(events.c.type, func.count()).where(events.c.recorded_at >= since).group_by(events.c.type)
        )
    ).all()
    return {t: int(n) for t, n in sorted(rows)}


async def hourly(session: AsyncSession, types: list[str], *, end: datetime, hours: int) -> dict[str, Any]:
    """Counts per UTC hour of each type in the ``hours`` before ``end``: ``{"t": [epoch s...],
    type: [count...]}`` with every hour present (zeros included), the shape a chart takes."""
    top = _ms(end.replace(minute=0, second=0, microsecond=0)) + HOUR_MS
    start = top - hours * HOUR_MS
    bucket = (events.c.occurred_ms - start) // HOUR_MS
    rows = (
        await session.execute(
            select(events.c.type, bucket.label("h"), func.count())
            .where(events.c.type.in_(types), events.c.occurred_ms >= start, events.c.occurred_ms < top)
            .group_by(events.c.type, "h")
        )
    ).all()
    out: dict[str, Any] = {"t": [(start + i * HOUR_MS) // 1000 for i in range(hours)]}
    for t in types:
        out[t] = [0] * hours
    for t, h, n in rows:
        out[t][int(h)] = int(n)
    return out


def default_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    end = now or datetime.now(UTC)
    return end - timedelta(days=1), end
