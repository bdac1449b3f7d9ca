"""What the operations API and the console both do, in one place: the workers view, the system's
health, the dead letters of every service, numbers and breakers, the audit trail, and sending a
command to every replica of a service (audited, refused when no replica would receive it).

The HTTP routes (``operations.api``) and the console's pages (``console.pages``) call these, so
the two surfaces cannot drift apart in what they show or allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException
from sqlalchemy import ColumnElement, func, or_, select

from tasklane_analytics.operations import commands
from tasklane_analytics.operations.fleet import Fleet
from tasklane_analytics.operations.health import system_health
from tasklane_analytics.operations.schemas import (
    AuditOut,
    CommandOut,
    LetterDetail,
    LetterOut,
    NumberOut,
    NumbersOut,
    ReplayOut,
    ReplayRequest,
    Service,
    WorkersOut,
)
from tasklane_analytics.operations.tables import audit_trail, dead_letter_view
from tasklane_common.auth import Principal
from tasklane_common.errors import PublishError
from tasklane_common.http import database_answers
from tasklane_common.logging import get_logger
from tasklane_common.messaging.contracts.runtime import ControlCommand
from tasklane_common.messaging.topology import ALL_QUEUES, dead_letter_queue
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


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


def letter_out(row: Any) -> LetterOut:
    return LetterOut.model_validate(
        {
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
    )


@dataclass(frozen=True)
class LetterFilter:
    service: Service | None = None
    queue: str | None = None
    replayed: bool | None = None
    q: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        t = dead_letter_view
        where: list[ColumnElement[bool]] = [t.c.deleted.is_(False)]
        if self.service is not None:
            where.append(t.c.service == self.service.value)
        if self.queue is not None:
            where.append(t.c.queue == self.queue)
        if self.replayed is not None:
            where.append(t.c.replayed_at.is_not(None) if self.replayed else t.c.replayed_at.is_(None))
        if self.q:
            like = f"%{self.q.replace('%', '').replace('_', '')}%"
            where.append(
                or_(
                    t.c.reason.ilike(like),
                    t.c.event_type.ilike(like),
                    t.c.event_id.ilike(like),
                    t.c.trace_id.ilike(like),
                )
            )
        return where


@dataclass(frozen=True)
class AuditFilter:
    service: Service | None = None
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        t = audit_trail
        where: list[ColumnElement[bool]] = []
        if self.service is not None:
            where.append(t.c.service == self.service.value)
        for column, value in (
            (t.c.actor, self.actor),
            (t.c.action, self.action),
            (t.c.outcome, self.outcome),
        ):
            if value is not None:
                where.append(column == value)
        if self.since is not None:
            where.append(t.c.at >= _aware(self.since))
        if self.until is not None:
            where.append(t.c.at < _aware(self.until))
        return where


class Operations:
    """The operations of one analytics replica: its runtime (database, broker) and its fleet."""

    def __init__(self, runtime: ServiceRuntime, fleet: Fleet) -> None:
        self.runtime = runtime
        self.fleet = fleet

    async def depths(self) -> dict[str, tuple[int, int]] | None:
        try:
            return await self.runtime.broker.queue_depths()
        except Exception as exc:  # the broker is down or the passive declare failed: say so, answer
            log.warning("queue_depths_failed", error=f"{type(exc).__name__}: {exc}")
            return None

    async def workers(self) -> WorkersOut:
        return WorkersOut.model_validate(workers_view(self.fleet, await self.depths()))

    async def health(self) -> dict[str, Any]:
        return system_health(self.fleet, await self.depths())

    # -- commands ------------------------------------------------------------------------------

    async def send(
        self,
        principal: Principal,
        source: str | None,
        cmd: ControlCommand,
        *,
        target_type: str,
        target_id: str | None,
    ) -> CommandOut:
        """To every live replica of ``cmd.service``, audited whatever the outcome: 409 when no
        replica heartbeats, 503 when the broker does not confirm."""
        replicas = [s.latest.replica for s in self.fleet.of(cmd.service)]
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
                await commands.broadcast(self.runtime, cmd)
            except PublishError as exc:
                outcome = "error 503"
                raise HTTPException(503, f"the broker did not confirm the command; retry: {exc}") from exc
        finally:
            async with database_answers(), self.runtime.db.transaction() as session:
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

    async def steer(
        self, principal: Principal, source: str | None, *, service: str, queue: str | None, action: str
    ) -> CommandOut:
        """Pause or resume one queue (None: every queue of the service) on all its replicas."""
        if queue is not None and owner_of(queue) != service:
            raise HTTPException(
                422, f"{service} does not consume {queue} (its queues start with '{service}.')"
            )
        cmd = commands.command(
            service=service, action=action, principal=principal, source=source, queue=queue
        )
        return await self.send(principal, source, cmd, target_type="queue", target_id=queue or f"{service}.*")

    # -- dead letters --------------------------------------------------------------------------

    async def letters(self, where: LetterFilter, *, limit: int, offset: int) -> tuple[list[LetterOut], int]:
        t = dead_letter_view
        clauses = where.where()
        async with database_answers(), self.runtime.db.read() as session:
            rows = (
                await session.execute(
                    select(t).where(*clauses).order_by(t.c.dead_at.desc()).limit(limit).offset(offset)
                )
            ).all()
            total = (await session.execute(select(func.count()).select_from(t).where(*clauses))).scalar_one()
        return [letter_out(r) for r in rows], int(total)

    async def letter(self, service: Service, letter_id: int) -> LetterDetail | None:
        t = dead_letter_view
        async with database_answers(), self.runtime.db.read() as session:
            row = (
                await session.execute(
                    select(t).where(
                        t.c.service == service.value, t.c.letter_id == letter_id, t.c.deleted.is_(False)
                    )
                )
            ).one_or_none()
        if row is None:
            return None
        return LetterDetail.model_validate(
            {
                **letter_out(row).model_dump(),
                "headers": row.headers,
                "body_at": f"/api/v1/{row.service}/dead-letters/{row.letter_id}",
            }
        )

    async def replay(self, principal: Principal, source: str | None, body: ReplayRequest) -> ReplayOut:
        """Replay (or, dry, list) the replayable dead letters of one service the request names."""
        t = dead_letter_view
        where = LetterFilter(
            service=body.service, queue=body.queue.value if body.queue is not None else None, replayed=False
        ).where()
        if body.ids is not None:
            where.append(t.c.letter_id.in_(body.ids))
        async with database_answers(), self.runtime.db.read() as session:
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
            return ReplayOut(dry_run=True, matched=len(rows), would_replay=[letter_out(r) for r in rows])
        cmd = commands.command(
            service=body.service.value,
            action="dead_letter.replay",
            principal=principal,
            source=source,
            queue=body.queue.value if body.queue is not None else None,
            ids=body.ids,
            limit=body.limit,
        )
        out = await self.send(principal, source, cmd, target_type="dead_letter", target_id=_ids(body.ids))
        return ReplayOut(dry_run=False, matched=len(rows), command=out)

    async def delete(
        self, principal: Principal, source: str | None, service: Service, ids: list[int]
    ) -> CommandOut:
        cmd = commands.command(
            service=service.value, action="dead_letter.delete", principal=principal, source=source, ids=ids
        )
        return await self.send(principal, source, cmd, target_type="dead_letter", target_id=_ids(ids))

    async def sync(self, principal: Principal, source: str | None, service: Service) -> CommandOut:
        cmd = commands.command(
            service=service.value, action="dead_letter.sync", principal=principal, source=source, limit=500
        )
        return await self.send(principal, source, cmd, target_type="dead_letter", target_id=None)

    # -- numbers and breakers ------------------------------------------------------------------

    def numbers(self) -> NumbersOut:
        breakers: dict[str, str] = {}
        for report in self.fleet.reports("sender", "breakers"):
            for number, state in (report or {}).items():
                if state != "closed":
                    breakers[number] = state
        known: dict[str, dict[str, Any]] = {}
        for report in self.fleet.reports("sender", "numbers"):
            for entry in report or []:
                known.setdefault(str(entry.get("phone_number_id")), entry)
        out = [
            NumberOut.model_validate({**entry, "breaker": breakers.get(pnid, "closed")})
            for pnid, entry in sorted(known.items())
        ]
        return NumbersOut(numbers=out, breakers=breakers, sender_replicas=len(self.fleet.of("sender")))

    async def steer_number(
        self, principal: Principal, source: str | None, number: str, action: str
    ) -> CommandOut:
        """``number.pause`` or ``number.resume`` on every sender replica."""
        cmd = commands.command(
            service="sender", action=action, principal=principal, source=source
        ).model_copy(update={"target": number})
        return await self.send(principal, source, cmd, target_type="number", target_id=number)

    # -- audit ---------------------------------------------------------------------------------

    async def audit(self, where: AuditFilter, *, limit: int, offset: int) -> tuple[list[AuditOut], int]:
        t = audit_trail
        clauses = where.where()
        async with database_answers(), self.runtime.db.read() as session:
            rows = (
                await session.execute(
                    select(t)
                    .where(*clauses)
                    .order_by(t.c.at.desc(), t.c.id.desc())
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            total = (await session.execute(select(func.count()).select_from(t).where(*clauses))).scalar_one()
        items = [AuditOut.model_validate({**r._mapping, "at": _iso(r.at)}) for r in rows]
        return items, int(total)


def _ids(ids: list[int] | None) -> str | None:
    return ",".join(str(i) for i in ids)[:256] if ids else None
