"""Failures by error code, with the drill-down to the failed messages behind a count (reason,
error code, conversation and trace ids), as ``/api/v1/analytics/failures`` answers: the last 24
hours, 7 or 30 days, for all numbers or one, times in the analyst's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tasklane_analytics.console.access import AnalystPage
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
from tasklane_analytics.figures.catalogue import Metric, Tally, counters_for
from tasklane_analytics.figures.periods import Bucket
from tasklane_analytics.figures.reader import FigureReader
from tasklane_common.http import database_answers
from tasklane_common.params import NO_CONTROL
from tasklane_common.settings import Role

NAV = NavItem("/failures", "Failures", Role.ANALYST)
PAGE = 50
router = APIRouter()


@router.get("/failures")
async def failures(
    request: Request,
    viewer: AnalystPage,
    zone: ChosenZone,
    period: PresetQuery = None,
    number: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL)] = None,
    code: Annotated[str | None, Query(pattern=r"^(none|[0-9]{1,9})$")] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    chosen = period_of(zone, period, None, None, offered=SHORT)
    start, end = chosen.start, chosen.end
    number = number or None
    async with database_answers(), console_of(request).runtime.db.read() as session:
        reader = FigureReader(session)
        found = await reader.tallies(
            [Bucket(start, end, start)],
            counters=counters_for([Metric.failed]),
            numbers=[number] if number else None,
            users=False,
        )
        total, rows = 0, list[Any]()
        if code is not None:
            total, rows = await reader.failures(
                start, end, number=number, error_code=code, limit=PAGE, offset=offset
            )
    by_code = found.get((0, number), Tally()).by_dim("failed")
    messages = [
        {
            "at": datetime.fromtimestamp(r.at_ms / 1000, zone.tz).strftime("%Y-%m-%d %H:%M:%S"),
            "phone_number_id": r.payload.get("phone_number_id"),
            "reply_id": r.payload.get("reply_id"),
            "error_code": r.payload.get("error_code"),
            "reason": r.payload.get("reason"),
            "correlation_id": r.correlation_id,
            "trace_id": r.trace_id,
        }
        for r in rows
    ]
    page = render(
        request,
        "failures.html",
        viewer,
        period=chosen,
        span=chosen.span(zone),
        zone=zone.name,
        zones=COMMON_ZONES,
        presets=[(p.value, PRESETS[p][0]) for p in SHORT],
        number=number,
        code=code,
        by_code=by_code,
        messages=messages,
        total=total,
        offset=offset,
        limit=PAGE,
    )
    return remembering(request, page, zone)
