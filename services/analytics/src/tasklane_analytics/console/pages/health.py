"""Health: this service's readiness in detail (the public probe shows only up or down).

The whole system's health (every service's readiness) arrives through analytics' operations API;
this page then renders that instead of ``runtime.readiness()``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/health", "Health", Role.ANALYST)
router = APIRouter()


@router.get("/health")
async def health(request: Request, viewer: AnalystPage) -> HTMLResponse:
    runtime = console_of(request).runtime
    report = await runtime.readiness()
    waiting = None
    if runtime.dead_letters is not None:
        async with database_answers():
            waiting = await runtime.dead_letters.count(replayed=False)
    consumers = [{"queue": c.queue.name, "name": c.name} for c in runtime.consumers]
    return render(
        request,
        "health.html",
        viewer,
        services=[{"report": report, "consumers": consumers, "dead_letters": waiting}],
    )
