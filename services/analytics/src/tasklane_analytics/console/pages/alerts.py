"""Alerts: what analytics evaluates from the system's own heartbeats, dead letters and hourly
figures (the PrometheusRule's alerts, as ``GET /api/v1/analytics/alerts`` answers them), firing
and pending first, then those resolved lately, each with its runbook. Nothing to act on here:
the runbook says where to go. The list refreshes itself every five seconds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.alerts.api import alerts_view
from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/alerts", "Alerts", Role.ANALYST)
router = APIRouter()
RESOLVED_HOURS = 24.0


async def _view(request: Request) -> dict[str, Any]:
    alerts = console_of(request).alerts
    hours = min(RESOLVED_HOURS, alerts.settings.keep_resolved_h)
    async with database_answers():
        found = await alerts_view(alerts, resolved_hours=hours)
    return {
        "found": found,
        "hours": hours,
        "notifying": alerts.settings.webhook_url is not None,
        "enabled": alerts.settings.enabled,
    }


@router.get("/alerts")
async def alerts_page(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "alerts.html", viewer, **(await _view(request)))


@router.get("/alerts/table")
async def table(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "partials/alerts_table.html", viewer, **(await _view(request)))
