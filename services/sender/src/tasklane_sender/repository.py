"""Persistence of outbound messages and their status history. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_sender import pacing
from tasklane_sender.pacing import aware
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
    received_at: datetime | None = None
    trace_context: dict[str, str] | None = None
    # In memory only: the moment the claim's pacing lets it go (see ``pacing``), the number's
    # ``throttled_at`` as the claim saw it (a refusal of this send is a new strike only if no
    # throttle came since, see ``holds.throttle``), and whether it is its number's probe.
    send_at: datetime | None = None
    throttled_at_claim: datetime | None = None
    probe: bool = False

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
            received_at=aware(m["received_at"]) if m["received_at"] else None,
            trace_context=m["trace_context"],
        )


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
        received_at: datetime | None = None,
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
                received_at=received_at,
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

    async def mark_sent_many(
        self, sent: Sequence[tuple[OutboundMessage, str]], *, now: datetime
    ) -> dict[str, OutboundMessage]:
        """``mark_sent`` for many messages in two statements (PostgreSQL): their wamids' advisory
        locks, taken in one order, and one UPDATE. By reply id; a message whose lease was lost is
        missing."""
        ordered = sorted(sent, key=lambda item: item[1])
        t = outbound_messages
        v = (
            func.unnest(
                bindparam("ids", [m.reply_id for m, _ in ordered], type_=ARRAY(String)),
                bindparam("attempts", [m.attempts for m, _ in ordered], type_=ARRAY(Integer)),
                bindparam("wamids", [w for _, w in ordered], type_=ARRAY(String)),
            )
            .table_valued("reply_id", "attempts", "wamid")
            .render_derived(name="v")
        )
        await self.session.execute(
            select(func.pg_advisory_xact_lock(_WAMID_LOCK_CLASS, func.hashtext(v.c.wamid)))
        )
        rows = await self.session.execute(
            update(t)
            .where(t.c.reply_id == v.c.reply_id, t.c.status == "sending", t.c.attempts == v.c.attempts)
            .values(
                status="sent",
                wamid=v.c.wamid,
                sent_at=now,
                updated_at=now,
                next_attempt_at=now,
                lease_until=None,
                last_error=None,
                error_code=None,
            )
            .returning(*t.c)
        )
        return {r.reply_id: OutboundMessage.from_row(r) for r in rows}

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

    async def claim_unknown_statuses_many(self, wamids: Sequence[str]) -> dict[str, list[RecordedStatus]]:
        """``claim_unknown_statuses`` for many wamids in one statement, by wamid."""
        t = message_statuses
        rows = await self.session.execute(
            update(t)
            .where(t.c.wamid.in_(list(wamids)), t.c.known.is_(False))
            .values(known=True)
            .returning(t.c.wamid, t.c.status, t.c.status_at, t.c.errors)
        )
        found: dict[str, list[RecordedStatus]] = {}
        for r in rows:
            found.setdefault(r.wamid, []).append(
                RecordedStatus(r.wamid, r.status, aware(r.status_at), r.errors or [])
            )
        return found

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
