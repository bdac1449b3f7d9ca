"""The delivery state machine of an outbound message, and the events it emits.

    queued -> sending -> sent -> delivered -> read
                 \\         \\
                  +---------+--> failed

Rules (Meta's statuses are unordered, may repeat, and ``delivered`` may be skipped):

* A status only ever moves a message forward: a late ``delivered`` after ``read``, or a
  duplicate ``sent``, changes nothing (it is still kept in the history).
* ``read`` implies ``delivered``: jumping from ``sent`` to ``read`` emits ``message.delivered``
  and then ``message.read``, so each message is counted delivered exactly once.
* ``failed`` (Meta could not deliver, e.g. 131047 or 131026) wins over ``sending`` and ``sent``;
  once the message is ``delivered`` or ``read`` the user has it, so a later ``failed`` is recorded
  in the history but does not change the message. ``failed`` and ``read`` are final.
* ``sent`` from a webhook emits nothing: ``message.sent`` is emitted when the Graph API accepts.
* A status whose wamid no outbound message carries (yet) is kept with ``known = False``. The
  dispatcher reconciles those when it stores the wamid, which covers the race where Meta's
  status webhook overtakes the commit of ``sent``.
* Unless its ``biz_opaque_callback_data`` (every send carries its reply id there) names a message
  still ``queued`` or ``sending`` without a wamid: Meta accepted that message but the answer never
  got committed (a crash, or an answer lost to a timeout). The message is ``sent`` with this
  wamid, so its lease expiring or its retry no longer sends it a second time.

Event ids derive from (reply id, event type), so a replayed transition is deduplicated downstream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.logging import get_logger
from tasklane_common.messaging import Envelope, Outbox, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.sender import (
    MessageDelivered,
    MessageFailed,
    MessageRead,
    MessageSent,
)
from tasklane_common.tracing.messaging import link_current_span
from tasklane_sender.errors import graph_reason
from tasklane_sender.repository import OutboundMessage, OutboundRepository, RecordedStatus

log = get_logger(__name__)

RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
FINAL = frozenset({"read", "failed"})
_EVENTS: dict[str, type[MessageSent | MessageDelivered | MessageRead | MessageFailed]] = {
    "sent": MessageSent,
    "delivered": MessageDelivered,
    "read": MessageRead,
    "failed": MessageFailed,
}


def advance(current: str, incoming: str) -> list[str]:
    """The states a message passes through when ``incoming`` arrives in state ``current``."""
    if current in FINAL or current not in RANK:
        return []
    if incoming == "failed":
        return ["failed"] if RANK[current] < RANK["delivered"] else []
    if incoming not in RANK or RANK[incoming] <= RANK[current]:
        return []  # stale, duplicate, or a status we do not track (e.g. "played")
    return [s for s in ("sent", "delivered", "read") if RANK[current] < RANK[s] <= RANK[incoming]]


def failure_of(errors: list[dict[str, Any]]) -> tuple[int | None, str]:
    if not errors:
        return None, "failed status without errors"
    first = errors[0]
    code = first.get("code")
    return (code if isinstance(code, int) else None), graph_reason(first)


async def emit(
    session: AsyncSession,
    outbox: Outbox,
    message: OutboundMessage,
    state: str,
    *,
    at: datetime,
    causation_id: str | None,
    error_code: int | None = None,
    reason: str = "",
    errors: list[dict[str, Any]] | None = None,
) -> Envelope:
    """Emit the event of ``state`` through the outbox, in the conversation's correlation."""
    fields: dict[str, Any] = {
        "reply_id": message.reply_id,
        "wamid": message.wamid,
        "phone_number_id": message.phone_number_id,
        "to": message.to,
        "at": at,
        "kind": message.kind,
    }
    if state == "failed":
        fields.update(error_code=error_code, reason=reason, errors=errors or [])
    event = _EVENTS[state](**fields)
    return await outbox.add(
        session,
        event,
        correlation_id=message.correlation_id,
        causation_id=causation_id,
        event_id=deterministic_id("sender", message.reply_id, event.event_type),
    )


async def apply_status(
    session: AsyncSession,
    outbox: Outbox,
    message: OutboundMessage,
    incoming: str,
    *,
    at: datetime,
    errors: list[dict[str, Any]],
    causation_id: str | None,
    now: datetime,
) -> OutboundMessage:
    """Move ``message`` forward for one status and emit what changed; returns its new state."""
    steps = advance(message.status, incoming)
    if not steps:
        return message
    repo = OutboundRepository(session)
    final = steps[-1]
    code, reason = failure_of(errors) if final == "failed" else (None, "")
    await repo.set_status(message.reply_id, status=final, now=now, error=reason or None, code=code)
    for step in steps:
        if step != "sent":
            await emit(
                session,
                outbox,
                message,
                step,
                at=at,
                causation_id=causation_id,
                error_code=code,
                reason=reason,
                errors=errors,
            )
    return replace(message, status=final)


async def record_status(
    session: AsyncSession,
    outbox: Outbox,
    *,
    wamid: str,
    status: str,
    at: datetime,
    errors: list[dict[str, Any]],
    pricing: dict[str, Any] | None,
    causation_id: str | None,
    now: datetime,
    callback_data: str | None = None,
) -> bool:
    """Keep a status webhook and apply it; False if this (wamid, status) was seen before."""
    repo = OutboundRepository(session)
    await repo.lock_wamid(wamid)
    message = await repo.find_by_wamid(wamid)
    if message is not None:
        # Meta's status arrives in a trace of its own (a webhook); the link leads to the turn.
        link_current_span(message.trace_context)
    if message is None and callback_data:
        message = await repo.adopt_wamid(callback_data, wamid=wamid, now=now)
        if message is not None:
            log.warning("sent_by_status", reply_id=message.reply_id, status=status)
            await emit(session, outbox, message, "sent", at=now, causation_id=causation_id)
    fresh = await repo.record_status(
        wamid=wamid,
        status=status,
        status_at=at,
        errors=errors,
        pricing=pricing,
        known=message is not None,
        now=now,
    )
    if fresh and message is not None:
        await apply_status(
            session, outbox, message, status, at=at, errors=errors, causation_id=causation_id, now=now
        )
    return fresh


async def emit_sent_many(
    session: AsyncSession,
    outbox: Outbox,
    sent: Sequence[tuple[OutboundMessage, dict[str, Any]]],
    *,
    at: datetime,
) -> None:
    """``emit(..., "sent", ...)`` for many messages in one INSERT; each row carries the trace
    context given with its message, as ``Outbox.add`` would have taken it from its span."""
    rows = []
    for message, trace_headers in sent:
        event = MessageSent(
            reply_id=message.reply_id,
            wamid=message.wamid,
            phone_number_id=message.phone_number_id,
            to=message.to,
            at=at,
            kind=message.kind,
        )
        envelope = new_envelope(
            event,
            producer=outbox.producer,
            correlation_id=message.correlation_id,
            causation_id=message.causation_id,
            event_id=deterministic_id("sender", message.reply_id, event.event_type),
        )
        rows.append(
            {
                "event_id": envelope.id,
                "routing_key": envelope.type,
                "body": envelope.to_bytes(),
                "headers": trace_headers,
                "created_at": datetime.now(UTC),
            }
        )
    if rows:
        await session.execute(outbox.table.insert().values(rows))


async def reconcile(
    session: AsyncSession,
    outbox: Outbox,
    message: OutboundMessage,
    *,
    now: datetime,
    early: list[RecordedStatus] | None = None,
) -> OutboundMessage:
    """Apply the statuses that arrived for ``message.wamid`` before it was stored (``early``:
    those already claimed for it)."""
    assert message.wamid is not None
    if early is None:
        early = await OutboundRepository(session).claim_unknown_statuses(message.wamid)
    early.sort(key=lambda s: (RANK.get(s.status, 5), s.status_at))
    for status in early:
        message = await apply_status(
            session,
            outbox,
            message,
            status.status,
            at=status.status_at,
            errors=status.errors,
            causation_id=message.causation_id,
            now=now,
        )
    return message
