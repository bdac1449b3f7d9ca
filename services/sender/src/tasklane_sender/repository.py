"""Persistence of outbound messages and their status history. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_sender import pacing
from tasklane_sender.pacing import Limits, aware
from tasklane_sender.tables import message_statuses, outbound_messages

# Two-key advisory locks live apart from the one-key lock of migrations; "SEND" in ASCII.
_WAMID_LOCK_CLASS = 0x53454E44


@dataclass(frozen=True)
class OutboundMessage:
    reply_id: str
    correlation_id: str
    causation_id: str | None
    user_id: str
    phone_number_id: str
    to: str
    kind: str
    content: dict[str, Any]
    status: str
    wamid: str | None
    attempts: int
    last_error: str | None
    error_code: int | None
    created_at: datetime
    sent_at: datetime | None
    trace_context: dict[str, str] | None = None
    # In memory only: the moment the claim's pacing lets it go (see ``pacing``).
    send_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Row[Any]) -> OutboundMessage:
        m = row._mapping
        return cls(
            reply_id=m["reply_id"],
            correlation_id=m["correlation_id"],
            causation_id=m["causation_id"],
            user_id=m["user_id"],
            phone_number_id=m["phone_number_id"],
            to=m["to"],
            kind=m["kind"],
            content=m["content"],
            status=m["status"],
            wamid=m["wamid"],
            attempts=m["attempts"],
            last_error=m["last_error"],
            error_code=m["error_code"],
            created_at=aware(m["created_at"]),
            sent_at=aware(m["sent_at"]) if m["sent_at"] else None,
            trace_context=m["trace_context"],
        )


@dataclass(frozen=True)
class Claim:
    messages: list[OutboundMessage]
    # When a claim would find what this one had to leave for lack of budget (None: nothing).
    retry_at: datetime | None
    # Per phone number: the seconds between two of its slots.
    spacing: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedStatus:
    wamid: str
    status: str
    status_at: datetime
    errors: list[dict[str, Any]]


class OutboundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        bind = session.bind
        self.dialect = bind.dialect.name if bind is not None else "postgresql"

    def _insert(self, table: Any) -> Any:
        return upsert_insert(self.session, table)

    async def enqueue(
        self,
        *,
        reply_id: str,
        correlation_id: str,
        causation_id: str | None,
        user_id: str,
        phone_number_id: str,
        to: str,
        kind: str,
        content: dict[str, Any],
        now: datetime,
        requested_at: datetime | None = None,
        trace_context: dict[str, str] | None = None,
    ) -> bool:
        """Queue a message for sending; False if this reply id is already known."""
        result = await self.session.execute(
            self._insert(outbound_messages)
            .values(
                reply_id=reply_id,
                correlation_id=correlation_id,
                causation_id=causation_id,
                user_id=user_id,
                phone_number_id=phone_number_id,
                to=to,
                kind=kind,
                content=content,
                trace_context=trace_context,
                status="queued",
                attempts=0,
                next_attempt_at=now,
                # When the reply was asked for, not when it reached us: replies to one user are
                # sent in this order, and replicas may enqueue them in another.
                created_at=requested_at or now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, reply_id: str) -> OutboundMessage | None:
        row = (
            await self.session.execute(
                select(outbound_messages).where(outbound_messages.c.reply_id == reply_id)
            )
        ).first()
        return OutboundMessage.from_row(row) if row else None

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease_s: float,
        limits: Limits,
        skip_phone_number_ids: Collection[str] = (),
    ) -> Claim:
        """Take due messages for sending: queued ones whose time has come, and sending ones whose
        lease expired (their sender died). Each claim counts as an attempt. ``SKIP LOCKED`` lets
        several replicas claim side by side without ever taking the same row. Each message gets
        its send-not-before slot from the shared schedules (``pacing``); one whose recipient is
        over the pair rate stays queued until its slot; one whose number has no budget left in
        this round is left for the next."""
        t = outbound_messages
        other = outbound_messages.alias("other")
        # One message per recipient at a time, oldest first: nothing is claimed for a recipient
        # while another replica holds a live lease on a message to them, or while an older
        # message to them still waits (e.g. for its retry). Replies to one user leave in order,
        # and a slow call can never let a second replica send the same recipient's next message.
        ahead = (
            select(other.c.reply_id)
            .where(
                other.c.phone_number_id == t.c.phone_number_id,
                other.c.to == t.c.to,
                other.c.reply_id != t.c.reply_id,
                or_(
                    and_(other.c.status == "sending", other.c.lease_until > now),
                    and_(
                        other.c.status.in_(("queued", "sending")),
                        or_(
                            other.c.created_at < t.c.created_at,
                            and_(other.c.created_at == t.c.created_at, other.c.reply_id < t.c.reply_id),
                        ),
                    ),
                ),
            )
            .exists()
        )
        query = select(t.c.reply_id, t.c.phone_number_id, t.c.to, t.c.kind).where(
            t.c.status.in_(("queued", "sending")), t.c.next_attempt_at <= now, ~ahead, ~pacing.held(now)
        )
        if skip_phone_number_ids:
            query = query.where(t.c.phone_number_id.not_in(list(skip_phone_number_ids)))
        candidates = [
            pacing.Candidate(r.reply_id, r.phone_number_id, r.to, r.kind)
            for r in await self.session.execute(
                query.order_by(t.c.next_attempt_at, t.c.created_at)
                .limit(limit)
                .with_for_update(of=t, skip_locked=True)
            )
        ]
        if not candidates:
            return Claim([], None)
        plan = await pacing.Pacer(self.session, limits).plan(candidates, now)
        if plan.deferred:
            await self.session.execute(
                update(t)
                .where(t.c.reply_id == bindparam("b_id"))
                .values(next_attempt_at=bindparam("b_at"), updated_at=now),
                [{"b_id": reply_id, "b_at": at} for reply_id, at in plan.deferred.items()],
            )
        if not plan.slots:
            return Claim([], plan.retry_at)
        lease = now + timedelta(seconds=lease_s)
        rows = (
            await self.session.execute(
                update(t)
                .where(t.c.reply_id.in_(list(plan.slots)))
                .values(
                    status="sending",
                    attempts=t.c.attempts + 1,
                    lease_until=lease,
                    next_attempt_at=lease,
                    updated_at=now,
                )
                .returning(*t.c)
            )
        ).all()
        claimed = {r.reply_id: OutboundMessage.from_row(r) for r in rows}
        return Claim(
            [
                replace(claimed[c.reply_id], send_at=plan.slots[c.reply_id])
                for c in candidates
                if c.reply_id in claimed
            ],
            plan.retry_at,
            plan.spacing,
        )

    async def _settle(self, message: OutboundMessage, **values: Any) -> OutboundMessage | None:
        """Update a message this worker claimed, unless its lease was lost to another worker."""
        t = outbound_messages
        row = (
            await self.session.execute(
                update(t)
                .where(
                    t.c.reply_id == message.reply_id,
                    t.c.status == "sending",
                    t.c.attempts == message.attempts,
                )
                .values(lease_until=None, **values)
                .returning(*t.c)
            )
        ).first()
        return OutboundMessage.from_row(row) if row else None

    async def mark_sent(
        self, message: OutboundMessage, *, wamid: str | None, now: datetime
    ) -> OutboundMessage | None:
        return await self._settle(
            message,
            status="sent",
            wamid=wamid,
            sent_at=now,
            updated_at=now,
            next_attempt_at=now,
            last_error=None,
            error_code=None,
        )

    async def reschedule(
        self,
        message: OutboundMessage,
        *,
        at: datetime,
        error: str,
        code: int | None,
        now: datetime,
        count_attempt: bool = True,
    ) -> OutboundMessage | None:
        values: dict[str, Any] = {
            "status": "queued",
            "next_attempt_at": at,
            "last_error": error,
            "error_code": code,
            "updated_at": now,
        }
        if not count_attempt:
            values["attempts"] = outbound_messages.c.attempts - 1
        return await self._settle(message, **values)

    async def mark_failed(
        self, message: OutboundMessage, *, error: str, code: int | None, now: datetime
    ) -> OutboundMessage | None:
        return await self._settle(
            message, status="failed", last_error=error, error_code=code, next_attempt_at=now, updated_at=now
        )

    async def adopt_wamid(self, reply_id: str, *, wamid: str, now: datetime) -> OutboundMessage | None:
        """A status echoes ``reply_id`` (``biz_opaque_callback_data``) for a wamid no message
        carries: the Graph API accepted this message but its answer was never committed (the
        sender crashed, or the answer was lost on the way back). It is sent, with that wamid,
        unless it already carries another one or this wamid was once matched to it before (a
        message resent after Meta failed it)."""
        t, s = outbound_messages, message_statuses
        seen = select(s.c.id).where(s.c.wamid == wamid, s.c.known.is_(True)).exists()
        row = (
            await self.session.execute(
                update(t)
                .where(
                    t.c.reply_id == reply_id,
                    t.c.wamid.is_(None),
                    t.c.status.in_(("queued", "sending")),
                    t.c.kind != pacing.READ,
                    ~seen,
                )
                .values(
                    status="sent",
                    wamid=wamid,
                    sent_at=now,
                    lease_until=None,
                    next_attempt_at=now,
                    last_error=None,
                    error_code=None,
                    updated_at=now,
                )
                .returning(*t.c)
            )
        ).first()
        return OutboundMessage.from_row(row) if row else None

    # ---- statuses ---------------------------------------------------------------------------

    async def lock_wamid(self, wamid: str) -> None:
        """Serialise the status consumer and the dispatcher on one wamid (PostgreSQL), so a status
        that races the commit of ``sent`` is either applied by one or reconciled by the other.
        SQLite serialises all writers anyway."""
        if self.dialect == "postgresql":
            await self.session.execute(
                select(func.pg_advisory_xact_lock(_WAMID_LOCK_CLASS, func.hashtext(wamid)))
            )

    async def find_by_wamid(self, wamid: str) -> OutboundMessage | None:
        t = outbound_messages
        row = (await self.session.execute(select(t).where(t.c.wamid == wamid).with_for_update())).first()
        return OutboundMessage.from_row(row) if row else None

    async def record_status(
        self,
        *,
        wamid: str,
        status: str,
        status_at: datetime,
        errors: Sequence[dict[str, Any]],
        pricing: dict[str, Any] | None,
        known: bool,
        now: datetime,
    ) -> bool:
        """Keep a status in the history; False if this (wamid, status) was already recorded."""
        result = await self.session.execute(
            self._insert(message_statuses)
            .values(
                wamid=wamid,
                status=status,
                status_at=status_at,
                errors=list(errors) or None,
                pricing=pricing,
                known=known,
                received_at=now,
            )
            .on_conflict_do_nothing()
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_unknown_statuses(self, wamid: str) -> list[RecordedStatus]:
        """Statuses that arrived before their message was known to carry this wamid."""
        t = message_statuses
        rows = (
            await self.session.execute(
                update(t)
                .where(t.c.wamid == wamid, t.c.known.is_(False))
                .values(known=True)
                .returning(t.c.wamid, t.c.status, t.c.status_at, t.c.errors)
            )
        ).all()
        return [RecordedStatus(r.wamid, r.status, aware(r.status_at), r.errors or []) for r in rows]

    async def set_status(
        self, reply_id: str, *, status: str, now: datetime, error: str | None = None, code: int | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == "failed":
            values.update(last_error=error, error_code=code)
        await self.session.execute(
            update(outbound_messages).where(outbound_messages.c.reply_id == reply_id).values(**values)
        )

    async def history(self, wamid: str) -> list[dict[str, Any]]:
        t = message_statuses
        rows = (await self.session.execute(select(t).where(t.c.wamid == wamid).order_by(t.c.id))).all()
        return [
            {
                "status": r.status,
                "status_at": aware(r.status_at).isoformat(),
                "errors": r.errors or [],
                "pricing": r.pricing,
                "received_at": aware(r.received_at).isoformat(),
            }
            for r in rows
        ]
