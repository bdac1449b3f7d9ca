"""Overview: the last 24 hours against the 24 before, from the hourly rollups (the figures the
``/api/v1/analytics/summary`` API answers, read through the same reader)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.eventlog.repository import EventLog
from tasklane_analytics.figures.api import DEFAULT_WINDOW, figures_of, window
from tasklane_analytics.figures.catalogue import FIGURES, Metric, Tally, counters_for
from tasklane_analytics.figures.periods import Bucket, Granularity, buckets
from tasklane_analytics.figures.reader import FigureReader
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/overview", "Overview", Role.ANALYST)
# The hourly chart: figure, label, colour.
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


def _tile(key: str, label: str, kind: str, up_is_good: bool, now: Any, before: Any) -> dict[str, Any]:
    delta = now - before if isinstance(now, int | float) and isinstance(before, int | float) else None
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "value": now,
        "previous": before,
        "delta": delta,
        "good": None if not delta else (delta > 0) == up_is_good,
    }


async def figures(request: Request) -> dict[str, Any]:
    start, end = window(None, None, DEFAULT_WINDOW)
    before = start - (end - start)
    hours = buckets(start, end, Granularity.hour, ZoneInfo("UTC"))
    async with database_answers(), console_of(request).runtime.db.read() as session:
        reader = FigureReader(session)
        now_found = await reader.tallies([Bucket(start, end, start)], counters=None)
        before_found = await reader.tallies([Bucket(before, start, before)], counters=None)
        hourly = await reader.tallies(hours, counters=counters_for([m for m, _, _ in CHARTED]))
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
    series: dict[str, Any] = {"t": [int(b.start.timestamp()) for b in hours]}
    for metric, _, _ in CHARTED:
        series[metric.value] = [FIGURES[metric](hourly.get((i, None), Tally())) for i in range(len(hours))]
    return {
        "start": start,
        "end": end,
        "tiles": [_tile(k, label, kind, up, current[k], previous[k]) for k, label, kind, up in TILES],
        "funnel": [(label, n, round(100 * n / top)) for label, n in funnel],
        "failed_by_error_code": current["failed_by_error_code"],
        "events_by_type": dict(sorted(by_type.items())),
        "chart": {
            "series": series,
            "labels": {m.value: label for m, label, _ in CHARTED},
            "colours": {m.value: colour for m, _, colour in CHARTED},
        },
    }


@router.get("/overview")
async def overview(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "overview.html", viewer, **(await figures(request)))
