"""Trends: one figure over time, per hour, or per day, week or month in the analyst's zone, for
any period, all numbers or some, one line or one per number.

The page asks ``figures.api.read_series`` exactly what ``GET /api/v1/analytics/series`` would be
asked (a ``SeriesQuery``, shown on the page as that API request), so its chart is the API's
answer; its CSV download is the API's own CSV for that query (``csv_download``), served here
under the console's session since the API wants a bearer key.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.charts import ChartLine, chart
from tasklane_analytics.console.choices import (
    COMMON_ZONES,
    PRESETS,
    ChosenZone,
    FromDate,
    Preset,
    PresetQuery,
    ToDate,
    granularity_for,
    period_of,
    remembering,
)
from tasklane_analytics.console.context import PREFIX, console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.figures.api import (
    MAX_NUMBERS,
    SeriesQuery,
    csv_download,
    read_series,
    series_query,
)
from tasklane_analytics.figures.api import (
    PREFIX as API,
)
from tasklane_analytics.figures.catalogue import Metric
from tasklane_analytics.figures.periods import Granularity
from tasklane_analytics.figures.reader import FigureReader
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/trends", "Trends", Role.ANALYST)
# Each figure: its name on the page and how its values read (docs/analytics.md defines them).
METRICS: dict[Metric, tuple[str, str]] = {
    Metric.received: ("Messages received", "int"),
    Metric.sent: ("Replies sent", "int"),
    Metric.sent_template: ("Sent as templates", "int"),
    Metric.sent_free_form: ("Sent free-form", "int"),
    Metric.delivered: ("Delivered", "int"),
    Metric.read: ("Read", "int"),
    Metric.failed: ("Failed", "int"),
    Metric.error_rate: ("Error rate", "pct"),
    Metric.unique_users: ("Active users", "int"),
    Metric.turns: ("Conversation turns", "int"),
    Metric.fallbacks: ("Not understood", "int"),
    Metric.fallback_rate: ("Not understood, share", "pct"),
    Metric.responses: ("Responses", "int"),
    Metric.response_avg_ms: ("Response time, average", "ms"),
    Metric.response_p50_ms: ("Response time, p50", "ms"),
    Metric.response_p90_ms: ("Response time, p90", "ms"),
    Metric.response_p99_ms: ("Response time, p99", "ms"),
    Metric.tasks_created: ("Tasks created", "int"),
    Metric.tasks_completed: ("Tasks completed", "int"),
    Metric.tasks_overdue: ("Tasks overdue", "int"),
    Metric.reminders_sent: ("Reminders sent", "int"),
    Metric.throttled: ("Throttled", "int"),
    Metric.expired: ("Expired", "int"),
}
# Beyond this many cells the points are in the CSV, not in a table under the chart.
MAX_TABLE_CELLS = 2_000
_SEPARATORS = re.compile(r"[\s,]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
router = APIRouter()


def numbers_of(text: str | None) -> tuple[str, ...] | None:
    """The phone number ids typed in one field (commas or spaces between), as the API takes them."""
    found = tuple(dict.fromkeys(n for n in _SEPARATORS.split(text or "") if n))
    if len(found) > MAX_NUMBERS:
        raise HTTPException(422, f"at most {MAX_NUMBERS} numbers at a time")
    if any(len(n) > 64 or _CONTROL.search(n) for n in found):
        raise HTTPException(422, "a phone number id is at most 64 characters, without control characters")
    return found or None


def _label(number: str | None) -> str:
    if number is None:
        return "all numbers"
    return number or "no number (tasks)"


@router.get("/trends")
async def trends(
    request: Request,
    viewer: AnalystPage,
    zone: ChosenZone,
    metric: Annotated[Metric, Query()] = Metric.received,
    granularity: Annotated[str | None, Query(pattern="^(|hour|day|week|month)$")] = None,
    period: PresetQuery = None,
    from_: FromDate = None,
    to: ToDate = None,
    number: Annotated[str | None, Query(max_length=MAX_NUMBERS * 66)] = None,
    group_by: Annotated[str | None, Query(pattern="^(|number)$")] = None,
) -> Response:
    chosen = period_of(zone, period, from_, to, default=Preset.week)
    grain = Granularity(granularity) if granularity else granularity_for(chosen)
    query = SeriesQuery(
        metric=metric,
        granularity=grain,
        zone=zone.name,
        from_=chosen.start.astimezone(zone.tz),
        to=chosen.end.astimezone(zone.tz),
        numbers=numbers_of(number),
        group_by="number" if group_by else None,
    )
    db = console_of(request).runtime.db
    found = await read_series(db, query)
    async with database_answers(), db.read() as session:
        known = [n for n in await FigureReader(session).numbers(chosen.start, chosen.end) if n]
    points = found.lines[0].points if found.lines else []
    lines = [
        ChartLine(f"l{i}", _label(line.phone_number_id), [p.value for p in line.points])
        for i, line in enumerate(found.lines)
    ]
    label, kind = METRICS[metric]
    asked = urlencode(query.params(), safe="/:")
    page = render(
        request,
        "trends.html",
        viewer,
        series=found,
        metric_label=label,
        kind=kind,
        chart=chart([int(datetime.fromisoformat(p.start).timestamp()) for p in points], lines, zone.name),
        table=[(p.start, p.end, [line.points[i].value for line in found.lines]) for i, p in enumerate(points)]
        if len(points) * max(len(found.lines), 1) <= MAX_TABLE_CELLS
        else None,
        headings=[line.label for line in lines],
        api_url=f"{API}/series?{asked}",
        csv_url=f"{PREFIX}/trends/csv?{asked}",
        form={
            "metric": metric.value,
            "granularity": granularity or "",
            "zone": zone.name,
            "period": chosen.preset.value if chosen.preset else "",
            "from": from_ or "",
            "to": to or "",
            "number": " ".join(query.numbers or ()),
            "group_by": bool(group_by),
        },
        metrics=[(m.value, name) for m, (name, _) in METRICS.items()],
        granularities=[g.value for g in Granularity],
        presets=[(p.value, name) for p, (name, _) in PRESETS.items()],
        zones=COMMON_ZONES,
        known_numbers=known,
        span=chosen.span(zone),
        period_label=chosen.label,
    )
    return remembering(request, page, zone)


@router.get("/trends/csv")
async def trends_csv(
    request: Request, viewer: AnalystPage, query: Annotated[SeriesQuery, Depends(series_query)]
) -> StreamingResponse:
    """The API's CSV of the series (the query is the API's), for a signed-in analyst."""
    return csv_download(await read_series(console_of(request).runtime.db, query))
