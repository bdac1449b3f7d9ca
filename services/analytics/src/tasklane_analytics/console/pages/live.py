"""Live: what the system is doing now, refreshed every two seconds without reloading the page.

From analytics' event log: the latest events (type, producer, time, conversation; never a payload)
and the counts by type over the last five minutes. In-flight turns and queue depths join here when
the operations API offers them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console import queries
from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/live", "Live", Role.ANALYST)
WINDOW = timedelta(minutes=5)
router = APIRouter()


@router.get("/live")
async def live(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "live.html", viewer)


@router.get("/live/feed")
async def feed(request: Request, viewer: AnalystPage) -> HTMLResponse:
    now = datetime.now(UTC)
    async with database_answers(), console_of(request).runtime.db.read() as session:
        latest = await queries.latest_events(session)
        counts = await queries.counts_by_type(session, since=now - WINDOW)
    return render(request, "partials/live_feed.html", viewer, latest=latest, counts=counts, now=now)
