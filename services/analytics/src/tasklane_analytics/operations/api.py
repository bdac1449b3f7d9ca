"""The operators' HTTP API of analytics (docs/operations.md): workers, system health, dead
letters of every service, numbers and breakers, and the audit trail.

Reads need the analyst role, commands the operator role. A command goes over the broker to every
live replica of the owning service (``tasklane_common.control``) and is answered 202: its effect
shows in the next heartbeats (workers, numbers) or ``dead_letter.changed`` events (dead letters).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, func, or_, select

from tasklane_analytics.operations import commands
from tasklane_analytics.operations.fleet import Fleet
from tasklane_analytics.operations.guard import guard
from tasklane_analytics.operations.health import system_health
from tasklane_analytics.operations.schemas import (
    AuditOut,
    CommandOut,
    DeleteRequest,
    HealthOut,
    LetterDetail,
    LetterOut,
    NumberId,
    NumberOut,
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
from tasklane_analytics.operations.tables import audit_trail, dead_letter_view
from tasklane_common.auth import Principal
from tasklane_common.errors import PublishError
from tasklane_common.http import database_answers
from tasklane_common.logging import get_logger
from tasklane_common.messaging.contracts.runtime import ControlCommand
from tasklane_common.messaging.topology import ALL_QUEUES, dead_letter_queue
from tasklane_common.paging import Page
from tasklane_common.params import IdPath, Offset, TextFilter, limit_query, text_query
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role

log = get_logger(__name__)
PREFIX = "/api/v1/analytics"
LETTERS = "/system/dead-letters"

_NO_REPLICA = {409: "No live replica of the service would receive the command."}
_UNCONFIRMED = {503: "The broker did not confirm the command; nothing was sent."}


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


async def _depths(runtime: ServiceRuntime) -> dict[str, tuple[int, int]] | None:
    try:
        return await runtime.broker.queue_depths()
    except Exception as exc:  # the broker is down or the passive declare failed: say so, answer
        log.warning("queue_depths_failed", error=f"{type(exc).__name__}: {exc}")
        return None


def owner_of(queue: str) -> str:
    """Queues are named after the service consuming them (``agent.inbound``)."""
    return queue.split(".", 1)[0]


def workers_view(fleet: Fleet, depths: dict[str, tuple[int, int]] | None) -> dict[str, Any]:
    live = fleet.live()
    items = []
    for spec in ALL_QUEUES:
        service = owner_of(spec.name)
        per_replica: list[dict[str, Any]] = []
        for seen in live:
            if seen.latest.service != service:
                continue
            state = next((c for c in seen.latest.consumers if c.queue == spec.name), None)
            if state is None:
                continue
            per_replica.append(
                {
                    "replica": seen.latest.replica,
                    "paused": state.paused,
                    "in_flight": state.in_flight,
                    "processed": state.processed,
                    "failed": state.failed,
                    "processed_per_s": seen.rate(spec.name, "processed"),
                    "failed_per_s": seen.rate(spec.name, "failed"),
                    "last_seen": seen.latest.at.isoformat(),
                }
            )
        depth = depths.get(spec.name) if depths is not None else None
        dead = depths.get(dead_letter_queue(spec.name)) if depths is not None else None
        items.append(
            {
                "service": service,
                "queue": spec.name,
                "replicas": len(per_replica),
                "consuming": sum(1 for r in per_replica if not r["paused"]),
                "paused": bool(per_replica) and all(r["paused"] for r in per_replica),
                "depth": depth[0] if depth else None,
                "broker_consumers": depth[1] if depth else None,
                "dead_letters": dead[0] if dead else None,
                "in_flight": sum(r["in_flight"] for r in per_replica),
                "processed": sum(r["processed"] for r in per_replica),
                "failed": sum(r["failed"] for r in per_replica),
                "processed_per_s": round(sum(r["processed_per_s"] or 0.0 for r in per_replica), 3),
                "failed_per_s": round(sum(r["failed_per_s"] or 0.0 for r in per_replica), 3),
                "per_replica": per_replica,
            }
        )
    return {
        "items": items,
        "broker": "up" if depths is not None else "down",
        "generated_at": datetime.now(UTC).isoformat(),
    }


def _letter(row: Any) -> dict[str, Any]:
    return {
        "service": row.service,
        "letter_id": row.letter_id,
        "queue": row.queue,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "reason": row.reason,
        "trace_id": row.trace_id,
        "dead_at": _iso(row.dead_at),
        "replayed_at": _iso(row.replayed_at),
        "replay_count": row.replay_count,
        "replayable": row.replayed_at is None,
    }


def router(runtime: ServiceRuntime, fleet: Fleet) -> APIRouter:
    reader = Depends(guard(runtime, Role.ANALYST))
    operator = Depends(guard(runtime, Role.OPERATOR))
    api = APIRouter(prefix=PREFIX, tags=["operations"])

    async def send(
        request: Request,
        principal: Principal,
        cmd: ControlCommand,
        *,
        target_type: str,
        target_id: str | None,
    ) -> CommandOut:
        replicas = [s.latest.replica for s in fleet.of(cmd.service)]
        source = commands.source_of(request)
        outcome = "sent"
        try:
            if not replicas:
                outcome = "error 409"
                raise HTTPException(
                    409,
                    f"no live replica of {cmd.service} is heartbeating: the command would reach no one "
                    "(start one, or wait for its first heartbeat, then retry)",
                )
            try:
                await commands.broadcast(runtime, cmd)
            except PublishError as exc:
                outcome = "error 503"
                raise HTTPException(503, f"the broker did not confirm the command; retry: {exc}") from exc
        finally:
            async with database_answers(), runtime.db.transaction() as session:
                await commands.audit(
                    session,
                    principal=principal,
                    source=source,
                    action=f"command.{cmd.action}",
                    target_type=target_type,
                    target_id=target_id,
                    outcome=outcome,
                    details={"command_id": cmd.command_id, "service": cmd.service, "ids": cmd.ids},
                )
        log.info("control_command_sent", action=cmd.action, service=cmd.service, principal=principal.name)
        return CommandOut(
            command_id=cmd.command_id,
            service=cmd.service,
            action=cmd.action,
            queue=cmd.queue,
            target=cmd.target,
            replicas=replicas,
        )

    # -- workers -------------------------------------------------------------------------------

    async def list_workers() -> WorkersOut:
        """Every consumer of every service: replicas consuming, paused or not, depth (the broker's
        count), dead letters waiting, in flight, processed and failed counts and rates."""
        return WorkersOut.model_validate(workers_view(fleet, await _depths(runtime)))

    async def steer_worker(
        request: Request, body: WorkerAction, principal: Principal = operator
    ) -> JSONResponse:
        """Pause or resume one queue's consumption (without ``queue``: all of the service's, a
        drain) across every replica of a service. Paused work
        waits in its queue; a replica started while paused stays paused; resuming processes each
        waiting message once. Answered 202: the next heartbeats show the effect."""
        service = body.service.value
        queue = body.queue.value if body.queue is not None else None
        if queue is not None and owner_of(queue) != service:
            raise HTTPException(
                422, f"{service} does not consume {queue} (its queues start with '{service}.')"
            )
        cmd = commands.command(
            service=service,
            action=body.action,
            principal=principal,
            source=commands.source_of(request),
            queue=queue,
        )
        out = await send(request, principal, cmd, target_type="queue", target_id=queue or f"{service}.*")
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
        report = system_health(fleet, await _depths(runtime))
        return PublicHealth(status=report["status"], timestamp=report["timestamp"])

    @api.get("/health/details", dependencies=[reader])
    async def health_details() -> HealthOut:
        """The seed's ``HealthStatus`` (status, uptime, checks for database, circuitBreakers
        {whatsappApi, aiProcessing}, cache, messageQueue {size, processing}, errorRate), built
        from every service's own readiness, with the services and problems behind it."""
        return HealthOut.model_validate(system_health(fleet, await _depths(runtime)))

    # -- dead letters --------------------------------------------------------------------------

    def _letter_filters(
        service: Service | None, queue: QueueName | None, replayed: bool | None, q: str | None
    ) -> list[ColumnElement[bool]]:
        t = dead_letter_view
        where: list[ColumnElement[bool]] = [t.c.deleted.is_(False)]
        if service is not None:
            where.append(t.c.service == service.value)
        if queue is not None:
            where.append(t.c.queue == queue.value)
        if replayed is not None:
            where.append(t.c.replayed_at.is_not(None) if replayed else t.c.replayed_at.is_(None))
        if q:
            like = f"%{q.replace('%', '').replace('_', '')}%"
            where.append(
                or_(
                    t.c.reason.ilike(like),
                    t.c.event_type.ilike(like),
                    t.c.event_id.ilike(like),
                    t.c.trace_id.ilike(like),
                )
            )
        return where

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
        t = dead_letter_view
        where = _letter_filters(service, queue, replayed, q)
        async with database_answers(), runtime.db.read() as session:
            rows = (
                await session.execute(
                    select(t).where(*where).order_by(t.c.dead_at.desc()).limit(limit).offset(offset)
                )
            ).all()
            total = (await session.execute(select(func.count()).select_from(t).where(*where))).scalar_one()
        items = [LetterOut.model_validate(_letter(r)) for r in rows]
        return Page[LetterOut](items=items, total=int(total), limit=limit, offset=offset)

    @api.get(
        LETTERS + "/{service}/{letter_id}",
        dependencies=[reader],
        responses=refusals({404: "No such dead letter."}),
    )
    async def get_letter(service: Service, letter_id: IdPath) -> LetterDetail:
        """One dead letter: its reason, headers and trace id."""
        t = dead_letter_view
        async with database_answers(), runtime.db.read() as session:
            row = (
                await session.execute(
                    select(t).where(
                        t.c.service == service.value, t.c.letter_id == letter_id, t.c.deleted.is_(False)
                    )
                )
            ).one_or_none()
        if row is None:
            raise HTTPException(404, "unknown dead letter")
        return LetterDetail.model_validate(
            {
                **_letter(row),
                "headers": row.headers,
                "body_at": f"/api/v1/{row.service}/dead-letters/{row.letter_id}",
            }
        )

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
        t = dead_letter_view
        where = [*_letter_filters(body.service, body.queue, False, None)]
        if body.ids is not None:
            where.append(t.c.letter_id.in_(body.ids))
        async with database_answers(), runtime.db.read() as session:
            rows = (
                await session.execute(select(t).where(*where).order_by(t.c.letter_id).limit(body.limit))
            ).all()
        if body.ids is not None and not rows:
            # Refused like the owner's own API refuses it: a record whose replay has not died
            # again would only be copied.
            raise HTTPException(
                409,
                "none of these dead letters is replayable: already replayed (and the replay has not "
                "died again), deleted, or unknown",
            )
        if body.dry_run:
            return ReplayOut(
                dry_run=True,
                matched=len(rows),
                would_replay=[LetterOut.model_validate(_letter(r)) for r in rows],
            )
        cmd = commands.command(
            service=body.service.value,
            action="dead_letter.replay",
            principal=principal,
            source=commands.source_of(request),
            queue=body.queue.value if body.queue is not None else None,
            ids=body.ids,
            limit=body.limit,
        )
        out = await send(request, principal, cmd, target_type="dead_letter", target_id=_ids(body.ids))
        return ReplayOut(dry_run=False, matched=len(rows), command=out)

    @api.post(LETTERS + "/delete", responses=refusals({**_NO_REPLICA, **_UNCONFIRMED}), status_code=202)
    async def delete_letters(
        request: Request, body: DeleteRequest, principal: Principal = operator
    ) -> CommandOut:
        """Have the owning service forget these dead letters (they need no replay)."""
        cmd = commands.command(
            service=body.service.value,
            action="dead_letter.delete",
            principal=principal,
            source=commands.source_of(request),
            ids=body.ids,
        )
        return await send(request, principal, cmd, target_type="dead_letter", target_id=_ids(body.ids))

    @api.post(LETTERS + "/sync", responses=refusals({**_NO_REPLICA, **_UNCONFIRMED}), status_code=202)
    async def sync_letters(
        request: Request, body: SyncRequest, principal: Principal = operator
    ) -> CommandOut:
        """Have the service announce its dead letters again (records older than this read model)."""
        cmd = commands.command(
            service=body.service.value,
            action="dead_letter.sync",
            principal=principal,
            source=commands.source_of(request),
            limit=500,
        )
        return await send(request, principal, cmd, target_type="dead_letter", target_id=None)

    # -- numbers and breakers ------------------------------------------------------------------

    @api.get("/system/numbers", dependencies=[reader])
    async def numbers() -> NumbersOut:
        """Paused and held numbers (the sender's, from its heartbeats) and open breakers."""
        breakers: dict[str, str] = {}
        for report in fleet.reports("sender", "breakers"):
            for number, state in (report or {}).items():
                if state != "closed":
                    breakers[number] = state
        known: dict[str, dict[str, Any]] = {}
        for report in fleet.reports("sender", "numbers"):
            for entry in report or []:
                known.setdefault(str(entry.get("phone_number_id")), entry)
        out = [
            NumberOut.model_validate({**entry, "breaker": breakers.get(pnid, "closed")})
            for pnid, entry in sorted(known.items())
        ]
        return NumbersOut(numbers=out, breakers=breakers, sender_replicas=len(fleet.of("sender")))

    async def _number(request: Request, principal: Principal, number: str, action: str) -> CommandOut:
        cmd = commands.command(
            service="sender", action=action, principal=principal, source=commands.source_of(request)
        ).model_copy(update={"target": number})
        return await send(request, principal, cmd, target_type="number", target_id=number)

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
        return await _number(request, principal, phone_number_id, "number.pause")

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
        return await _number(request, principal, phone_number_id, "number.resume")

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
        t = audit_trail
        where: list[ColumnElement[bool]] = []
        if service is not None:
            where.append(t.c.service == service.value)
        for column, value in ((t.c.actor, actor), (t.c.action, action), (t.c.outcome, outcome)):
            if value is not None:
                where.append(column == value)
        if since is not None:
            where.append(t.c.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
        if until is not None:
            where.append(t.c.at < (until if until.tzinfo else until.replace(tzinfo=UTC)))
        async with database_answers(), runtime.db.read() as session:
            rows = (
                await session.execute(
                    select(t).where(*where).order_by(t.c.at.desc(), t.c.id.desc()).limit(limit).offset(offset)
                )
            ).all()
            total = (await session.execute(select(func.count()).select_from(t).where(*where))).scalar_one()
        items = [AuditOut.model_validate({**r._mapping, "at": _iso(r.at)}) for r in rows]
        return Page[AuditOut](items=items, total=int(total), limit=limit, offset=offset)

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


def _ids(ids: list[int] | None) -> str | None:
    return ",".join(str(i) for i in ids)[:256] if ids else None
