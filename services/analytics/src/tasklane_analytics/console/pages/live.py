"""Live: what the system is doing now, refreshed every two seconds without reloading the page.

What an operator watches during an incident: the turns in flight (messages received in the last
15 minutes that no accepted reply answers yet, and how long the oldest has waited), each queue's
depth and in-flight count (the workers view's figures), and from the event log the latest events
(type, producer, time, conversation; never a payload) and the counts by type over five minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console import queries
from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.rollups.inflight import awaiting
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/live", "Live", Role.ANALYST)
WINDOW = timedelta(minutes=5)
IN_FLIGHT_WINDOW = timedelta(minutes=15)
router = APIRouter()


@router.get("/live")
async def live(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "live.html", viewer)


@router.get("/live/feed")
async def feed(request: Request, viewer: AnalystPage) -> HTMLResponse:
    console = console_of(request)
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    async with database_answers(), console.runtime.db.read() as session:
        latest = await queries.latest_events(session)
        counts = await queries.counts_by_type(session, since=now - WINDOW)
        in_flight = await awaiting(
            session, now_ms=now_ms, window_ms=int(IN_FLIGHT_WINDOW.total_seconds() * 1000)
        )
    workers = await console.ops.workers()
    return render(
        request,
        "partials/live_feed.html",
        viewer,
        latest=latest,
        counts=counts,
        now=now,
        in_flight=in_flight,
        oldest_wait_s=in_flight.oldest_wait_s(now_ms),
        queues=workers.items,
        broker=workers.broker,
    )
