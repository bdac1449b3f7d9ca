"""Persistence of the event log and the queries behind the analytics API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.tables import events
from tasklane_common.db.dialect import upsert_insert
from tasklane_common.messaging import Envelope

COUNTED = {
    "messages_received": "message.received",
    "messages_sent": "message.sent",
    "messages_delivered": "message.delivered",
    "messages_read": "message.read",
    "messages_failed": "message.failed",
}


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, envelopes: list[Envelope]) -> int:
        """Add events to the log; ones already there are left as they are. Returns how many
        were new."""
        if not envelopes:
            return 0
        now = datetime.now(UTC)
        rows = [
            {
                "event_id": e.id,
                "type": e.type,
                "version": e.version,
                "occurred_at": e.occurred_at,
                "occurred_ms": _ms(e.occurred_at),
                "correlation_id": e.correlation_id,
                "producer": e.producer,
                "payload": e.payload,
                "recorded_at": now,
            }
            for e in envelopes
        ]
        result = await self.session.execute(
            upsert_insert(self.session, events).values(rows).on_conflict_do_nothing()
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def summary(self, start: datetime, end: datetime) -> dict[str, Any]:
        lo, hi = _ms(start), _ms(end)
        rows = (
            await self.session.execute(
                select(events.c.type, func.count())
                .where(events.c.occurred_ms >= lo, events.c.occurred_ms < hi)
                .group_by(events.c.type)
            )
        ).all()
        by_type = {t: n for t, n in rows}
        received = events.alias("received")
        sent = events.alias("sent")
        # Response time: from the gateway receiving a message to the sender's Graph API acceptance
        # of the first reply in the same conversation turn (same correlation id).
        first_sent = (
            select(sent.c.correlation_id, func.min(sent.c.occurred_ms).label("sent_ms"))
            .where(sent.c.type == "message.sent")
            .group_by(sent.c.correlation_id)
            .subquery()
        )
        avg_ms = (
            await self.session.execute(
                select(func.avg(first_sent.c.sent_ms - received.c.occurred_ms))
                .select_from(
                    received.join(first_sent, first_sent.c.correlation_id == received.c.correlation_id)
                )
                .where(
                    and_(
                        received.c.type == "message.received",
                        received.c.occurred_ms >= lo,
                        received.c.occurred_ms < hi,
                    )
                )
            )
        ).scalar_one_or_none()
        out: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat()}
        out.update({name: int(by_type.get(t, 0)) for name, t in COUNTED.items()})
        out["avg_response_time_ms"] = round(float(avg_ms), 1) if avg_ms is not None else None
        out["events_by_type"] = dict(sorted(by_type.items()))
        return out
