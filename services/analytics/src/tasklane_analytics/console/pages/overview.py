"""Overview: the last 24 hours at a glance.

Today from the analytics summary and the raw event log; when the hourly rollups exist,
``figures`` is the one function to point at them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console import queries
from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.repository import EventRepository
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/overview", "Overview", Role.ANALYST)
CHARTED = {"message.received": "#2563eb", "message.sent": "#16a34a", "message.failed": "#dc2626"}
router = APIRouter()


async def figures(request: Request) -> dict[str, Any]:
    start, end = queries.default_window()
    async with database_answers(), console_of(request).runtime.db.read() as session:
        summary = await EventRepository(session).summary(start, end)
        series = await queries.hourly(session, list(CHARTED), end=end, hours=24)
    received = summary["messages_received"]
    funnel = [
        ("Received", received),
        ("Replies sent", summary["messages_sent"]),
        ("Delivered", summary["messages_delivered"]),
        ("Read", summary["messages_read"]),
        ("Failed", summary["messages_failed"]),
    ]
    top = max((n for _, n in funnel), default=0) or 1
    return {
        "summary": summary,
        "funnel": [(label, n, round(100 * n / top)) for label, n in funnel],
        "chart": {
            "series": series,
            "labels": {t: t.removeprefix("message.") for t in CHARTED},
            "colours": CHARTED,
        },
    }


@router.get("/overview")
async def overview(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "overview.html", viewer, **(await figures(request)))
