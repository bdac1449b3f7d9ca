"""Numbers and breakers: the sender's paused and held numbers and its breakers (from the sender
replicas' heartbeats, as ``/api/v1/analytics/system/numbers`` answers), with Pause and Resume.
The table refreshes itself every two seconds; an action's result stays above it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import AnalystPage, OperatorAction, source_of
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.operations.schemas import NumberId
from tasklane_common.settings import Role

NAV = NavItem("/numbers", "Numbers", Role.ANALYST)
router = APIRouter()


@router.get("/numbers")
async def numbers(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "numbers.html", viewer, found=console_of(request).ops.numbers())


@router.get("/numbers/table")
async def table(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "partials/numbers_table.html", viewer, found=console_of(request).ops.numbers())


@router.post("/numbers/{phone_number_id}/{action}")
async def steer(
    request: Request,
    phone_number_id: Annotated[NumberId, Path()],
    action: Literal["pause", "resume"],
    viewer: OperatorAction,
) -> HTMLResponse:
    try:
        out = await console_of(request).ops.steer_number(
            viewer.principal, source_of(request), phone_number_id, f"number.{action}"
        )
        result = {
            "ok": True,
            "text": f"{action.capitalize()} of {phone_number_id} sent to {len(out.replicas)} sender "
            "replica(s); the table shows it at their next heartbeat.",
        }
    except HTTPException as exc:
        result = {"ok": False, "text": str(exc.detail)}
    found = console_of(request).ops.numbers()
    return render(
        request,
        "partials/steered.html",
        viewer,
        found=found,
        result=result,
        testid="number-result",
        region="numbers",
        table="partials/numbers_table.html",
    )
