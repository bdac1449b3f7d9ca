"""Per number: the figures of each phone number over the last 24 hours, 7 or 30 days, against the
period before (the ``/api/v1/analytics/numbers`` figures, read through the same reader), each
linked to its failures."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.charts import tile
from tasklane_analytics.console.choices import (
    COMMON_ZONES,
    PRESETS,
    SHORT,
    ChosenZone,
    PresetQuery,
    period_of,
    remembering,
)
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.figures.api import figures_of
from tasklane_analytics.figures.catalogue import Tally
from tasklane_analytics.figures.periods import Bucket
from tasklane_analytics.figures.reader import FigureReader
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/per-number", "Per number", Role.ANALYST)
# Column: summary field, heading, how to show it, whether more is better.
COLUMNS = [
    ("messages_received", "Received", "int", True),
    ("messages_sent", "Sent", "int", True),
    ("messages_delivered", "Delivered", "int", True),
    ("messages_read", "Read", "int", True),
    ("messages_failed", "Failed", "int", False),
    ("error_rate", "Error rate", "pct", False),
    ("unique_users", "Users", "int", True),
    ("fallback_rate", "Not understood", "pct", False),
    ("p90_response_time_ms", "Response p90", "ms", False),
]
MAX_NUMBERS = 100
router = APIRouter()


@router.get("/per-number")
async def per_number(
    request: Request, viewer: AnalystPage, zone: ChosenZone, period: PresetQuery = None
) -> Response:
    chosen = period_of(zone, period, None, None, offered=SHORT)
    start, end, before = chosen.start, chosen.end, chosen.before
    async with database_answers(), console_of(request).runtime.db.read() as session:
        reader = FigureReader(session)
        numbers = [n for n in await reader.numbers(start, end) if n][:MAX_NUMBERS]
        now = (
            await reader.tallies([Bucket(start, end, start)], counters=None, numbers=numbers, by_number=True)
            if numbers
            else {}
        )
        then = (
            await reader.tallies(
                [Bucket(before, start, before)], counters=None, numbers=numbers, by_number=True
            )
            if numbers
            else {}
        )
    rows = []
    for n in numbers:
        current = figures_of(now.get((0, n), Tally()))
        previous = figures_of(then.get((0, n), Tally()))
        rows.append(
            {
                "number": n,
                "cells": [tile(k, h, kind, up, current[k], previous[k]) for k, h, kind, up in COLUMNS],
                "failed_by_error_code": current["failed_by_error_code"],
            }
        )
    headings = [label for _, label, _, _ in COLUMNS]
    page = render(
        request,
        "per_number.html",
        viewer,
        rows=rows,
        headings=headings,
        period=chosen,
        span=chosen.span(zone),
        zone=zone.name,
        zones=COMMON_ZONES,
        presets=[(p.value, PRESETS[p][0]) for p in SHORT],
    )
    return remembering(request, page, zone)
