"""Health: the whole system's ``HealthStatus`` (every service's readiness from its heartbeats, the
breakers, the queues, the error rate), as ``GET /api/v1/analytics/health/details`` answers it,
and beneath it this analytics replica's own readiness in detail."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_common.settings import Role

NAV = NavItem("/health", "Health", Role.ANALYST)
router = APIRouter()


@router.get("/health")
async def health(request: Request, viewer: AnalystPage) -> HTMLResponse:
    console = console_of(request)
    system = await console.ops.health()
    own = await console.runtime.readiness()
    consumers = [c.queue.name for c in console.runtime.consumers]
    return render(request, "health.html", viewer, system=system, own=own, consumers=consumers)
