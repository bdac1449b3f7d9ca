"""Event handlers: queue the agent's replies; track Meta's delivery statuses.

Neither handler calls the Graph API: a consumer's transaction must stay short, and a send inside
it could not be undone if the commit failed. The reply handler only queues the message and
wakes the dispatcher once the row is committed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.errors import PermanentError
from tasklane_common.messaging import Consumer, HandlerContext
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import StatusReceived
from tasklane_common.telemetry import inject_headers
from tasklane_sender import tracking
from tasklane_sender.repository import OutboundRepository

_PHONE = re.compile(r"\+?[0-9]{6,15}")


def _digits(phone: str) -> str:
    """The E.164 digits of ``phone``, or "" when it is not a phone number (a username-based id
    such as "US.1349120865530" must never be turned into one)."""
    compact = phone.replace(" ", "").replace("-", "")
    return compact.lstrip("+") if _PHONE.fullmatch(compact) else ""


def _after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    def listener(_session: object) -> None:
        callback()

    event.listen(session.sync_session, "after_commit", listener, once=True)


def register(replies: Consumer, statuses: Consumer, *, wake_dispatcher: Callable[[], None]) -> None:
    @replies.on(ReplyRequested)
    async def queue_reply(ctx: HandlerContext, reply: ReplyRequested) -> None:
        to = _digits(reply.to)
        if not 6 <= len(to) <= 15:
            raise PermanentError(f"reply {reply.reply_id}: 'to' is not a phone number")
        if not reply.kind:
            raise PermanentError(f"reply {reply.reply_id}: no message kind")
        queued = await OutboundRepository(ctx.session).enqueue(
            reply_id=reply.reply_id,
            correlation_id=ctx.envelope.correlation_id,
            causation_id=ctx.envelope.id,
            user_id=reply.user_id,
            phone_number_id=reply.phone_number_id,
            to=to,
            kind=reply.kind,
            content=reply.content,
            now=datetime.now(UTC),
            requested_at=ctx.envelope.occurred_at,
            trace_context=inject_headers(),
        )
        if queued:
            _after_commit(ctx.session, wake_dispatcher)

    @statuses.on(StatusReceived)
    async def track_status(ctx: HandlerContext, status: StatusReceived) -> None:
        assert ctx.outbox is not None
        await tracking.record_status(
            ctx.session,
            ctx.outbox,
            wamid=status.wamid,
            status=status.status,
            at=status.status_at,
            errors=status.errors,
            pricing=status.pricing,
            causation_id=ctx.envelope.id,
            now=datetime.now(UTC),
        )
