"""Workers: every queue of every service with its replicas, paused or not, depth, in flight and
rates (from the heartbeats and the broker, as ``GET /api/v1/analytics/workers`` answers), with
Pause and Resume for operators. The table refreshes itself every two seconds, so the effect of a
click shows as soon as the replicas' next heartbeats say so."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import AnalystPage, OperatorAction, source_of
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.operations.schemas import QueueName
from tasklane_analytics.operations.service import owner_of
from tasklane_common.settings import Role

NAV = NavItem("/workers", "Workers", Role.ANALYST)
router = APIRouter()


async def _view(request: Request) -> dict[str, Any]:
    found = await console_of(request).ops.workers()
    return {"workers": found.items, "broker": found.broker, "generated_at": found.generated_at}


@router.get("/workers")
async def workers(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "workers.html", viewer, **(await _view(request)))


@router.get("/workers/table")
async def table(request: Request, viewer: AnalystPage) -> HTMLResponse:
    return render(request, "partials/workers_table.html", viewer, **(await _view(request)))


@router.post("/workers/{queue}/{action}")
async def steer(
    request: Request,
    queue: Annotated[QueueName, Path()],
    action: Literal["pause", "resume"],
    viewer: OperatorAction,
) -> HTMLResponse:
    name = str(queue.value)
    try:
        out = await console_of(request).ops.steer(
            viewer.principal, source_of(request), service=owner_of(name), queue=name, action=action
        )
        result = {
            "ok": True,
            "text": f"{action.capitalize()} of {name} sent to {len(out.replicas)} replica(s); "
            "the table shows it at their next heartbeat.",
        }
    except HTTPException as exc:
        result = {"ok": False, "text": str(exc.detail)}
    return render(
        request,
        "partials/steered.html",
        viewer,
        result=result,
        testid="worker-result",
        region="workers",
        table="partials/workers_table.html",
        **(await _view(request)),
    )
