"""Audit trail: every admin action of every service, newest first, filtered and paged (the rows
``/api/v1/analytics/audit`` answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.operations.schemas import Service
from tasklane_analytics.operations.service import AuditFilter
from tasklane_common.settings import Role

NAV = NavItem("/audit", "Audit", Role.ANALYST)
PAGE = 50
router = APIRouter()
# A form's "all" option sends an empty value.
ServiceChoice = Annotated[str | None, Query(pattern="^(|gateway|agent|sender|analytics)$")]
Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


def _when(text: str | None) -> datetime | None:
    """A date or date-time from the form (a datetime-local input); anything else is ignored."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@router.get("/audit")
async def audit(
    request: Request,
    viewer: AnalystPage,
    service: ServiceChoice = None,
    actor: Text = None,
    action: Text = None,
    outcome: Text = None,
    since: Text = None,
    until: Text = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    chosen = Service(service) if service else None
    where = AuditFilter(chosen, actor or None, action or None, outcome or None, _when(since), _when(until))
    rows, total = await console_of(request).ops.audit(where, limit=PAGE, offset=offset)
    query = {
        "service": service or "",
        "actor": actor or "",
        "action": action or "",
        "outcome": outcome or "",
        "since": since or "",
        "until": until or "",
    }
    return render(
        request,
        "audit.html",
        viewer,
        rows=rows,
        total=total,
        offset=offset,
        limit=PAGE,
        query=query,
        services=list(Service),
    )
