"""Dead letters of every service (analytics' read model of their ``dead_letter.changed`` events,
as ``/api/v1/analytics/system/dead-letters`` answers): search, inspect one (reason, headers,
trace id), replay one or every replayable one of a service (with a dry run first), delete.

Reading needs the analyst role, as the API's; replaying and deleting the operator role. A replay
or a delete is a command to the owning service's replicas: the row says it was sent, and shows
the owner's new state once its ``dead_letter.changed`` arrives (a reload, or the next search).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import AnalystPage, OperatorAction, Viewer, source_of
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.operations.schemas import ReplayRequest, Service
from tasklane_analytics.operations.service import LetterFilter
from tasklane_common.params import IdPath
from tasklane_common.settings import Role

NAV = NavItem("/dead-letters", "Dead letters", Role.ANALYST)
PAGE = 50
router = APIRouter()
# A form's "all" option sends an empty value.
ServiceChoice = Annotated[str | None, Query(pattern="^(|gateway|agent|sender|analytics)$")]
Search = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


@router.get("/dead-letters")
async def dead_letters(
    request: Request,
    viewer: AnalystPage,
    service: ServiceChoice = None,
    q: Search = None,
    waiting: Annotated[str | None, Query(pattern="^(|1)$")] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    chosen = Service(service) if service else None
    where = LetterFilter(service=chosen, replayed=False if waiting == "1" else None, q=q or None)
    letters, total = await console_of(request).ops.letters(where, limit=PAGE, offset=offset)
    query = {"service": service or "", "q": q or "", "waiting": waiting or ""}
    return render(
        request,
        "dead_letters.html",
        viewer,
        letters=letters,
        total=total,
        offset=offset,
        limit=PAGE,
        services=list(Service),
        query=query,
    )


@router.get("/dead-letters/{service}/{letter_id}")
async def letter(request: Request, service: Service, letter_id: IdPath, viewer: AnalystPage) -> HTMLResponse:
    found = await console_of(request).ops.letter(service, letter_id)
    if found is None:
        raise HTTPException(404, "unknown dead letter")
    return render(request, "dead_letter.html", viewer, letter=found)


async def _row(
    request: Request, viewer: Viewer, service: Service, letter_id: int, result: dict[str, Any]
) -> HTMLResponse:
    found = await console_of(request).ops.letter(service, letter_id)
    if found is None:
        raise HTTPException(404, "unknown dead letter")
    return render(request, "partials/dead_letter_row.html", viewer, letter=found, result=result)


@router.post("/dead-letters/{service}/{letter_id}/replay")
async def replay(
    request: Request, service: Service, letter_id: IdPath, viewer: OperatorAction
) -> HTMLResponse:
    ops = console_of(request).ops
    if await ops.letter(service, letter_id) is None:
        raise HTTPException(404, "unknown dead letter")
    try:
        out = await ops.replay(
            viewer.principal, source_of(request), ReplayRequest(service=service, ids=[letter_id])
        )
        replicas = len(out.command.replicas) if out.command else 0
        result = {"ok": True, "text": f"replay sent to {service.value} ({replicas} replica(s))"}
    except HTTPException as exc:
        result = {"ok": False, "text": str(exc.detail)}
    return await _row(request, viewer, service, letter_id, result)


@router.post("/dead-letters/{service}/{letter_id}/delete")
async def delete(
    request: Request, service: Service, letter_id: IdPath, viewer: OperatorAction
) -> HTMLResponse:
    ops = console_of(request).ops
    if await ops.letter(service, letter_id) is None:
        raise HTTPException(404, "unknown dead letter")
    try:
        await ops.delete(viewer.principal, source_of(request), service, [letter_id])
        result = {"ok": True, "text": f"deletion sent to {service.value}"}
    except HTTPException as exc:
        result = {"ok": False, "text": str(exc.detail)}
    return await _row(request, viewer, service, letter_id, result)


@router.post("/dead-letters/replay")
async def replay_all(
    request: Request,
    viewer: OperatorAction,
    service: Annotated[Service, Form()],
    dry_run: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Every replayable dead letter of one service (up to the API's limit), or what would go."""
    ops = console_of(request).ops
    body = ReplayRequest(service=service, dry_run=dry_run, limit=500)
    try:
        out = await ops.replay(viewer.principal, source_of(request), body)
        if out.dry_run:
            ids = ", ".join(str(w.letter_id) for w in out.would_replay or [])
            result = {
                "ok": True,
                "text": f"dry run: {out.matched} dead letter(s) of {service.value} would be replayed"
                + (f" ({ids})" if ids else ""),
            }
        else:
            result = {"ok": True, "text": f"replay of {out.matched} dead letter(s) sent to {service.value}"}
    except HTTPException as exc:
        result = {"ok": False, "text": str(exc.detail)}
    return render(request, "partials/result.html", viewer, result=result)
