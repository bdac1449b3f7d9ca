"""Feeding the read models: ``audit.recorded`` and ``dead_letter.changed`` from every service."""

from __future__ import annotations

from datetime import UTC, datetime

from tasklane_analytics.operations.tables import audit_trail, dead_letter_view
from tasklane_common.control.audit import masked_target, scrubbed
from tasklane_common.db.dialect import upsert_insert
from tasklane_common.messaging.consumer import Consumer, HandlerContext
from tasklane_common.messaging.contracts.runtime import AuditRecorded, DeadLetterChanged
from tasklane_common.messaging.envelope import Envelope


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def add_audit(ctx: HandlerContext, event: AuditRecorded, event_id: str) -> None:
    await ctx.session.execute(
        upsert_insert(ctx.session, audit_trail)
        .values(
            event_id=event_id,
            service=event.service[:50],
            at=_aware(event.at),
            actor=event.actor[:200] if event.actor else None,
            role=event.role[:32] if event.role else None,
            action=event.action[:100],
            target_type=event.target_type[:64] if event.target_type else None,
            # Masked at the source already; again here, for producers older than that.
            target_id=masked_target(event.target_type, event.target_id),
            outcome=event.outcome[:32],
            source=event.source[:200] if event.source else None,
            details=scrubbed(event.details) if event.details is not None else None,
        )
        .on_conflict_do_nothing()
    )


def register(consumer: Consumer) -> None:
    @consumer.on(AuditRecorded)
    async def audit_recorded(ctx: HandlerContext, event: AuditRecorded) -> None:
        await add_audit(ctx, event, ctx.envelope.id)

    @consumer.on(DeadLetterChanged)
    async def dead_letter_changed(ctx: HandlerContext, event: DeadLetterChanged) -> None:
        await upsert_letter(ctx, event, ctx.envelope)


async def upsert_letter(ctx: HandlerContext, event: DeadLetterChanged, envelope: Envelope) -> None:
    t = dead_letter_view
    values = {
        "service": event.service[:50],
        "letter_id": event.letter_id,
        "queue": event.queue[:200],
        "event_id": event.event_id[:200],
        "event_type": event.event_type_name[:200] if event.event_type_name else None,
        "reason": event.reason,
        "headers": event.headers,
        "trace_id": event.trace_id,
        "dead_at": _aware(event.dead_at),
        "replayed_at": _aware(event.replayed_at) if event.replayed_at else None,
        "replay_count": event.replay_count,
        "deleted": event.deleted,
        "changed_at": _aware(envelope.occurred_at),
    }
    statement = upsert_insert(ctx.session, t).values(**values)
    await ctx.session.execute(
        statement.on_conflict_do_update(
            index_elements=[t.c.service, t.c.letter_id],
            set_={k: statement.excluded[k] for k in values if k not in ("service", "letter_id")},
            where=t.c.changed_at <= statement.excluded.changed_at,
        )
    )
