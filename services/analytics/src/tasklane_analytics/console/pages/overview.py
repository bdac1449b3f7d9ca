"""Overview: the last 24 hours, 7 or 30 days against the period before, from the hourly rollups
(the figures the ``/api/v1/analytics/summary`` API answers, read through the same reader), its
times and chart in the analyst's zone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.charts import ChartLine, chart, tile, within
from tasklane_analytics.console.choices import (
    COMMON_ZONES,
    PRESETS,
    SHORT,
    ChosenZone,
    Period,
    PresetQuery,
    Zone,
    granularity_for,
    period_of,
    remembering,
)
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.eventlog.repository import EventLog
from tasklane_analytics.figures.api import figures_of
from tasklane_analytics.figures.catalogue import FIGURES, Metric, Tally, counters_for
from tasklane_analytics.figures.periods import Bucket
from tasklane_analytics.figures.reader import FigureReader
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/overview", "Overview", Role.ANALYST)
# The chart: figure, label, colour.
CHARTED = [
    (Metric.received, "received", "#2563eb"),
    (Metric.sent, "sent", "#16a34a"),
    (Metric.failed, "failed", "#dc2626"),
]
# The tiles: summary field, label, how to show it, whether more is better (for the delta's colour).
TILES = [
    ("messages_received", "Messages received", "int", True),
    ("messages_sent", "Replies sent", "int", True),
    ("messages_delivered", "Delivered", "int", True),
    ("messages_read", "Read", "int", True),
    ("messages_failed", "Failed", "int", False),
    ("error_rate", "Error rate", "pct", False),
    ("unique_users", "Active users", "int", True),
    ("turns", "Conversation turns", "int", True),
    ("fallback_rate", "Not understood", "pct", False),
    ("avg_response_time_ms", "Response time, average", "ms", False),
    ("p50_response_time_ms", "Response time, p50", "ms", False),
    ("p90_response_time_ms", "Response time, p90", "ms", False),
    ("p99_response_time_ms", "Response time, p99", "ms", False),
    ("tasks_created", "Tasks created", "int", True),
    ("tasks_completed", "Tasks completed", "int", True),
    ("reminders_sent", "Reminders sent", "int", True),
]
router = APIRouter()


async def figures(request: Request, zone: Zone, chosen: Period) -> dict[str, Any]:
    start, end, before = chosen.start, chosen.end, chosen.before
    grain = granularity_for(chosen)
    slots = within(start, end, grain, zone.tz)
    async with database_answers(), console_of(request).runtime.db.read() as session:
        reader = FigureReader(session)
        now_found = await reader.tallies([Bucket(start, end, start)], counters=None)
        before_found = await reader.tallies([Bucket(before, start, before)], counters=None)
        charted = await reader.tallies(slots, counters=counters_for([m for m, _, _ in CHARTED]), users=False)
        by_type = await EventLog(session).counts_by_type(start, end)
    current = figures_of(now_found.get((0, None), Tally()))
    previous = figures_of(before_found.get((0, None), Tally()))
    funnel = [
        ("Received", current["messages_received"]),
        ("Replies sent", current["messages_sent"]),
        ("Delivered", current["messages_delivered"]),
        ("Read", current["messages_read"]),
        ("Failed", current["messages_failed"]),
    ]
    top = max(n for _, n in funnel) or 1
    lines = [
        ChartLine(
            m.value, label, [FIGURES[m](charted.get((i, None), Tally())) for i in range(len(slots))], colour
        )
        for m, label, colour in CHARTED
    ]
    return {
        "period": chosen,
        "span": chosen.span(zone),
        "granularity": grain.value,
        "zone": zone.name,
        "zones": COMMON_ZONES,
        "presets": [(p.value, PRESETS[p][0]) for p in SHORT],
        "tiles": [tile(k, label, kind, up, current[k], previous[k]) for k, label, kind, up in TILES],
        "funnel": [(label, n, round(100 * n / top)) for label, n in funnel],
        "failed_by_error_code": current["failed_by_error_code"],
        "events_by_type": dict(sorted(by_type.items())),
        "chart": chart([int(b.start.timestamp()) for b in slots], lines, zone.name),
    }


@router.get("/overview")
async def overview(
    request: Request, viewer: AnalystPage, zone: ChosenZone, period: PresetQuery = None
) -> Response:
    chosen = period_of(zone, period, None, None, offered=SHORT)
    async with database_answers():
        found = await console_of(request).alerts.alerts(resolved_hours=0)
    firing = sum(1 for a in found if a.state == "firing")
    page = render(
        request, "overview.html", viewer, firing_alerts=firing, **(await figures(request, zone, chosen))
    )
    return remembering(request, page, zone)
