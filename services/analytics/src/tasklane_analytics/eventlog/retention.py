"""How long raw events are kept: ``raw_retention_days`` after they happened (default 30). The
rollups are kept; so are the per-hour user sets (pseudonyms only), pricing marks and deadlines
that keep them exact. A turn's times go with the raw events."""

from __future__ import annotations

from datetime import timedelta

from tasklane_analytics.eventlog.tables import events
from tasklane_analytics.rollups.tables import turns
from tasklane_common.runtime import ServiceRuntime


def retain_raw_events(runtime: ServiceRuntime, days: float) -> None:
    keep = timedelta(days=days)
    runtime.retain(events, aged_by=events.c.occurred_at, key=events.c.event_id, keep=keep)
    runtime.retain(turns, aged_by=turns.c.updated_at, key=turns.c.correlation_id, keep=keep)
