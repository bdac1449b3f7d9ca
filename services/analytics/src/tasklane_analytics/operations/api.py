"""The operators' HTTP API of analytics (docs/operations.md): workers, system health, dead
letters of every service, numbers and breakers, and the audit trail.

Reads need the analyst role, commands the operator role. A command goes over the broker to every
live replica of the owning service (``tasklane_common.control``) and is answered 202: its effect
shows in the next heartbeats (workers, numbers) or ``dead_letter.changed`` events (dead letters).
The work itself is ``operations.service``'s, which the console calls too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from tasklane_analytics.operations import commands
from tasklane_analytics.operations.guard import guard
from tasklane_analytics.operations.schemas import (
    AuditOut,
    CommandOut,
    DeleteRequest,
    HealthOut,
    LetterDetail,
    LetterOut,
    NumberId,
    NumbersOut,
    PublicHealth,
    QueueName,
    ReplayOut,
    ReplayRequest,
    Service,
    SyncRequest,
    WorkerAction,
    WorkersOut,
)
from tasklane_analytics.operations.service import (
    AuditFilter,
    LetterFilter,
    Operations,
    owner_of,
    workers_view,
)
from tasklane_common.auth import Principal
from tasklane_common.paging import Page
from tasklane_common.params import IdPath, Offset, TextFilter, limit_query, text_query
from tasklane_common.problems import refusals
from tasklane_common.settings import Role

__all__ = ["LETTERS", "PREFIX", "owner_of", "router", "seed_router", "workers_view"]
PREFIX = "/api/v1/analytics"
LETTERS = "/system/dead-letters"

_NO_REPLICA = {409: "No live replica of the service would receive the command."}
_UNCONFIRMED = {503: "The broker did not confirm the command; nothing was sent."}


def router(ops: Operations) -> APIRouter:
    reader = Depends(guard(ops.runtime, Role.ANALYST))
    operator = Depends(guard(ops.runtime, Role.OPERATOR))
    api = APIRouter(prefix=PREFIX, tags=["operations"])

    # -- workers -------------------------------------------------------------------------------

    async def list_workers() -> WorkersOut:
        """Every consumer of every service: replicas consuming, paused or not, depth (the broker's
        count), dead letters waiting, in flight, processed and failed counts and rates."""
        return await ops.workers()

    async def steer_worker(
        request: Request, body: WorkerAction, principal: Principal = operator
    ) -> JSONResponse:
        """Pause or resume one queue's consumption (without ``queue``: all of the service's, a
        drain) across every replica of a service. Paused work
        waits in its queue; a replica started while paused stays paused; resuming processes each
        waiting message once. Answered 202: the next heartbeats show the effect."""
        out = await ops.steer(
            principal,
            commands.source_of(request),
            service=body.service.value,
            queue=body.queue.value if body.queue is not None else None,
            action=body.action,
        )
        return JSONResponse(out.model_dump(), status_code=202)

    steering = refusals({**_NO_REPLICA, **_UNCONFIRMED, 202: "Sent to every live replica of the service."})
    api.add_api_route("/workers", list_workers, methods=["GET"], dependencies=[reader])
    api.add_api_route(
        "/workers",
        steer_worker,
        methods=["POST"],
        responses=steering,
        response_model=CommandOut,
        status_code=202,
    )

    # -- health --------------------------------------------------------------------------------

    @api.get("/health")
    async def health() -> PublicHealth:
        """The whole system's status, for anyone (no counts, rates or names): the details need a key."""
        report = await ops.health()
        return PublicHealth(status=report["status"], timestamp=report["timestamp"])

    @api.get("/health/details", dependencies=[reader])
    async def health_details() -> HealthOut:
        """The seed's ``HealthStatus`` (status, uptime, checks for database, circuitBreakers
        {whatsappApi, aiProcessing}, cache, messageQueue {size, processing}, errorRate), built
        from every service's own readiness, with the services and problems behind it."""
        return HealthOut.model_validate(await ops.health())

    # -- dead letters --------------------------------------------------------------------------

    @api.get(LETTERS, dependencies=[reader])
    async def list_letters(
        service: Service | None = None,
        queue: QueueName | None = None,
        replayed: bool | None = None,
        q: Annotated[str | None, text_query("Search reason, event type, event id, trace id.")] = None,
        limit: Annotated[int, limit_query(200)] = 50,
        offset: Offset = 0,
    ) -> Page[LetterOut]:
        """The dead letters of every service, newest first (no bodies: those stay with the owner)."""
        where = LetterFilter(service, queue.value if queue is not None else None, replayed, q)
        items, total = await ops.letters(where, limit=limit, offset=offset)
        return Page[LetterOut](items=items, total=total, limit=limit, offset=offset)

    @api.get(
        LETTERS + "/{service}/{letter_id}",
        dependencies=[reader],
        responses=refusals({404: "No such dead letter."}),
    )
    async def get_letter(service: Service, letter_id: IdPath) -> LetterDetail:
        """One dead letter: its reason, headers and trace id."""
        found = await ops.letter(service, letter_id)
        if found is None:
            raise HTTPException(404, "unknown dead letter")
        return found

    @api.post(
        LETTERS + "/replay",
        responses=refusals(
            {
                409: "None of the ids is replayable, or no live replica would receive the command.",
                **_UNCONFIRMED,
            }
        ),
    )
    async def replay_letters(
        request: Request, body: ReplayRequest, principal: Principal = operator
    ) -> ReplayOut:
        """Replay dead letters of one service to their original queue (``ids``, or every
        replayable one of ``queue``, up to ``limit``). ``dry_run`` only lists what would go. The
        owning service replays each record once, however many of its replicas get the command; a
        record whose replay has not died again is not replayed again."""
        return await ops.replay(principal, commands.source_of(request), body)

    @api.post(LETTERS + "/delete", responses=refusals({**_NO_REPLICA, **_UNCONFIRMED}), status_code=202)
    async def delete_letters(
        request: Request, body: DeleteRequest, principal: Principal = operator
    ) -> CommandOut:
        """Have the owning service forget these dead letters (they need no replay)."""
        return await ops.delete(principal, commands.source_of(request), body.service, body.ids)

    @api.post(LETTERS + "/sync", responses=refusals({**_NO_REPLICA, **_UNCONFIRMED}), status_code=202)
    async def sync_letters(
        request: Request, body: SyncRequest, principal: Principal = operator
    ) -> CommandOut:
        """Have the service announce its dead letters again (records older than this read model)."""
        return await ops.sync(principal, commands.source_of(request), body.service)

    # -- numbers and breakers ------------------------------------------------------------------

    @api.get("/system/numbers", dependencies=[reader])
    async def numbers() -> NumbersOut:
        """Paused and held numbers (the sender's, from its heartbeats) and open breakers."""
        return ops.numbers()

    @api.post(
        "/system/numbers/{phone_number_id}/pause",
        responses=refusals({**_NO_REPLICA, **_UNCONFIRMED}),
        status_code=202,
    )
    async def pause_number(
        request: Request,
        phone_number_id: Annotated[NumberId, Path()],
        principal: Principal = operator,
    ) -> CommandOut:
        """Stop all sending from the number until resumed (its messages wait)."""
        return await ops.steer_number(principal, commands.source_of(request), phone_number_id, "number.pause")

    @api.post(
        "/system/numbers/{phone_number_id}/resume",
        responses=refusals({**_NO_REPLICA, **_UNCONFIRMED}),
        status_code=202,
    )
    async def resume_number(
        request: Request,
        phone_number_id: Annotated[NumberId, Path()],
        principal: Principal = operator,
    ) -> CommandOut:
        """Let a paused or held number send again."""
        return await ops.steer_number(
            principal, commands.source_of(request), phone_number_id, "number.resume"
        )

    # -- audit ---------------------------------------------------------------------------------

    @api.get("/audit", dependencies=[reader])
    async def audit_log(
        service: Service | None = None,
        actor: TextFilter = None,
        action: TextFilter = None,
        outcome: TextFilter = None,
        since: Annotated[datetime | None, Query(description="At or after (ISO-8601).")] = None,
        until: Annotated[datetime | None, Query(description="Before (ISO-8601).")] = None,
        limit: Annotated[int, limit_query(500)] = 100,
        offset: Offset = 0,
    ) -> Page[AuditOut]:
        """Every admin action of every service, newest first: who, when, what, from where, outcome."""
        where = AuditFilter(service, actor, action, outcome, since, until)
        items, total = await ops.audit(where, limit=limit, offset=offset)
        return Page[AuditOut](items=items, total=total, limit=limit, offset=offset)

    return api


def seed_router(api: APIRouter) -> APIRouter:
    """The seed's path for the workers view and its steering, beside the versioned one."""
    seed = APIRouter(tags=["operations"])
    for route in list(api.routes):
        if getattr(route, "path", None) == f"{PREFIX}/workers":
            seed.add_api_route(
                "/api/workers/whatsapp",
                route.endpoint,  # type: ignore[attr-defined]
                methods=list(route.methods),  # type: ignore[attr-defined]
                dependencies=route.dependencies,  # type: ignore[attr-defined]
                responses=route.responses,  # type: ignore[attr-defined]
                status_code=route.status_code,  # type: ignore[attr-defined]
                response_model=route.response_model,  # type: ignore[attr-defined]
                # An alias of a versioned route: documented there, not a second API surface.
                include_in_schema=False,
            )
    return seed
