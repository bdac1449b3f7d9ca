"""The live view's reads of the raw event log (the figures come from the rollups).

Types, producers, times and correlation ids only: the console never shows a payload.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.eventlog.tables import events


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
            .order_by(events.c.occurred_at.desc())
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
    """Events that happened since ``since``, by type. By ``occurred_at``, which is indexed: the log
    holds every event of the system and this runs every two seconds per open live view."""
    rows = (
        await session.execute(
            select(events.c.type, func.count()).where(events.c.occurred_at >= since).group_by(events.c.type)
        )
    ).all()
    return {t: int(n) for t, n in sorted(rows)}
