"""Writing the event log, and the reads over it: drill-downs and recomputes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.eventlog.moments import moment
from tasklane_analytics.eventlog.privacy import Pseudonymizer, safe, scrub
from tasklane_analytics.eventlog.tables import events
from tasklane_common.db.bulk import bulk_insert
from tasklane_common.messaging import Envelope

RECOMPUTE_PAGE = 5000


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def scrubbed(envelope: Envelope, pseudonym: Pseudonymizer) -> Envelope:
    """``envelope`` as analytics keeps it (``privacy``)."""
    return envelope.model_copy(
        update={
            "payload": scrub(envelope.type, envelope.payload, pseudonym),
            "correlation_id": safe(envelope.correlation_id)[:200],
        }
    )


def trace_id_of(headers: Mapping[str, Any] | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header (``00-<trace id>-<span id>-<flags>``)."""
    parent = (headers or {}).get("traceparent")
    if not isinstance(parent, str | bytes):
        return None
    text = parent.decode("ascii", "replace") if isinstance(parent, bytes) else parent
    parts = text.split("-")
    ok = len(parts) == 4 and len(parts[1]) == 32 and all(c in "0123456789abcdef" for c in parts[1])
    return parts[1] if ok and parts[1] != "0" * 32 else None


class EventLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, envelopes: list[Envelope], trace_ids: Mapping[str, str | None]) -> int:
        """Add scrubbed events to the log; ones already there are left as they are. Returns how
        many were new."""
        if not envelopes:
            return 0
        now = datetime.now(UTC)
        rows = [
            {
                "event_id": e.id,
                "type": e.type[:100],
                "version": e.version,
                "occurred_at": e.occurred_at,
                "occurred_ms": epoch_ms(e.occurred_at),
                "at_ms": moment(e),
                "correlation_id": e.correlation_id,
                "producer": safe(e.producer)[:50],
                "payload": e.payload,
                "recorded_at": now,
                "trace_id": trace_ids.get(e.id),
            }
            for e in envelopes
        ]
        insert, params = bulk_insert(self.session, events, rows)
        result = await self.session.execute(
            insert.on_conflict_do_nothing().returning(events.c.event_id), params
        )
        return len(result.all())

    async def counts_by_type(self, start: datetime, end: datetime) -> dict[str, int]:
        rows = await self.session.execute(
            select(events.c.type, func.count())
            .where(events.c.at_ms >= epoch_ms(start), events.c.at_ms < epoch_ms(end))
            .group_by(events.c.type)
        )
        return {t: int(n) for t, n in rows.all()}

    async def replay_moments(self, lo_ms: int, hi_ms: int) -> AsyncIterator[list[Envelope]]:
        """The events whose fact happened in ``[lo_ms, hi_ms)``, in pages, oldest first."""
        after = (-1, "")
        while True:
            rows = (
                await self.session.execute(
                    select(events)
                    .where(events.c.at_ms >= lo_ms, events.c.at_ms < hi_ms)
                    .where(
                        (events.c.at_ms > after[0])
                        | ((events.c.at_ms == after[0]) & (events.c.event_id > after[1]))
                    )
                    .order_by(events.c.at_ms, events.c.event_id)
                    .limit(RECOMPUTE_PAGE)
                )
            ).all()
            if not rows:
                return
            yield [_envelope(r) for r in rows]
            after = (rows[-1].at_ms, rows[-1].event_id)


def _envelope(row: Any) -> Envelope:
    at = row.occurred_at
    return Envelope(
        id=row.event_id,
        type=row.type,
        version=row.version,
        occurred_at=at if at.tzinfo else at.replace(tzinfo=UTC),
        correlation_id=row.correlation_id,
        producer=row.producer,
        payload=row.payload,
    )
