"""Event handlers: queue the agent's replies; track Meta's delivery statuses; open customer-service
windows and queue read receipts for inbound messages; keep the numbers the gateway configures.

No handler calls the Graph API: a consumer's transaction must stay short, and a send inside it
could not be undone if the commit failed. Handlers only queue rows and wake the dispatcher once
they are committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.errors import PermanentError
from tasklane_common.logging import get_logger
from tasklane_common.messaging import Consumer, HandlerContext
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import MessageReceived, NumberConfigured, StatusReceived
from tasklane_common.telemetry import inject_headers
from tasklane_sender import holds, kinds, numbers, recipients, tracking, windows
from tasklane_sender.identifiers import NOT_SENT, PHONE_NUMBER_ID_INVALID, valid_phone_number_id
from tasklane_sender.numbers import NumberDirectory
from tasklane_sender.repository import OutboundRepository
from tasklane_sender.settings import SenderSettings

log = get_logger(__name__)


def _after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    def listener(_session: object) -> None:
        callback()

    event.listen(session.sync_session, "after_commit", listener, once=True)


def register(
    replies: Consumer,
    statuses: Consumer,
    *,
    settings: SenderSettings,
    wake_dispatcher: Callable[[], None],
) -> None:
    @replies.on(ReplyRequested)
    async def queue_reply(ctx: HandlerContext, reply: ReplyRequested) -> None:
        # A user who hides their number is addressed by their business-scoped id (recipients).
        to = recipients.normalise(reply.to)
        if to is None:
            raise PermanentError(
                f"reply {reply.reply_id}: 'to' is not a phone number nor a business-scoped user id"
            )
        if not reply.kind:
            raise PermanentError(f"reply {reply.reply_id}: no message kind")
        if len(reply.phone_number_id) > 64:
            # Too long to be stored (and so to be failed): a bug upstream, like a bad ``to``.
            raise PermanentError(f"reply {reply.reply_id}: {PHONE_NUMBER_ID_INVALID}")
        invalid = None
        if not valid_phone_number_id(reply.phone_number_id):
            # It would be a segment of the request's URL path ("\r\n" in it crashed every send).
            invalid = f"{PHONE_NUMBER_ID_INVALID}; {NOT_SENT}"
        else:
            try:
                kinds.validate(reply.kind, reply.content)
            except kinds.InvalidContent as exc:
                invalid = f"invalid {reply.kind} message: {exc}"
        now = datetime.now(UTC)
        repo = OutboundRepository(ctx.session)
        queued = await repo.enqueue(
            reply_id=reply.reply_id,
            correlation_id=ctx.envelope.correlation_id,
            causation_id=ctx.envelope.id,
            user_id=reply.user_id,
            phone_number_id=reply.phone_number_id,
            to=to,
            kind=reply.kind,
            content=reply.content,
            now=now,
            requested_at=ctx.envelope.occurred_at,
            received_at=reply.received_at,
            trace_context=inject_headers(),
        )
        if queued and invalid is not None:
            # A domain outcome, not a poison message: the row says why and the agent hears of it.
            await _fail_at_once(ctx, repo, reply.reply_id, invalid, now=now)
        elif queued:
            _after_commit(ctx.session, wake_dispatcher)

    @statuses.on(StatusReceived)
    async def track_status(ctx: HandlerContext, status: StatusReceived) -> None:
        assert ctx.outbox is not None
        now = datetime.now(UTC)
        if status.status == "failed":
            resent = await windows.resend_after_failed_status(
                ctx.session,
                wamid=status.wamid,
                status_at=status.status_at,
                errors=status.errors,
                pricing=status.pricing,
                settings=settings,
                now=now,
            )
            if resent is not None:
                log.info("resent_as_template", reply_id=resent.reply_id, after="failed status 131047")
                _after_commit(ctx.session, wake_dispatcher)
                return
        await tracking.record_status(
            ctx.session,
            ctx.outbox,
            wamid=status.wamid,
            status=status.status,
            at=status.status_at,
            errors=status.errors,
            pricing=status.pricing,
            causation_id=ctx.envelope.id,
            now=now,
            callback_data=status.biz_opaque_callback_data,
        )


async def _fail_at_once(
    ctx: HandlerContext, repo: OutboundRepository, reply_id: str, reason: str, *, now: datetime
) -> None:
    assert ctx.outbox is not None
    await repo.set_status(reply_id, status="failed", now=now, error=reason)
    message = await repo.get(reply_id)
    assert message is not None
    await tracking.emit(
        ctx.session, ctx.outbox, message, "failed", at=now, causation_id=ctx.envelope.id, reason=reason
    )
    log.warning("reply_refused", reply_id=reply_id, reason=reason)


def register_inbound(
    inbound: Consumer, *, settings: SenderSettings, wake_dispatcher: Callable[[], None]
) -> None:
    @inbound.on(MessageReceived)
    async def open_window(ctx: HandlerContext, received: MessageReceived) -> None:
        queued = await windows.record_inbound(
            ctx.session,
            received,
            settings=settings,
            correlation_id=ctx.envelope.correlation_id,
            causation_id=ctx.envelope.id,
            trace_context=inject_headers(),
            now=datetime.now(UTC),
        )
        if queued:
            _after_commit(ctx.session, wake_dispatcher)


def register_integrations(
    integrations: Consumer,
    *,
    directory: NumberDirectory,
    wake_dispatcher: Callable[[], None] | None = None,
) -> None:
    @integrations.on(NumberConfigured)
    async def configure_number(ctx: HandlerContext, number: NumberConfigured) -> None:
        if not valid_phone_number_id(number.phone_number_id):
            # No message can be sent from it: dead-lettered with the reason, nothing stored.
            raise PermanentError(f"number configuration refused: {PHONE_NUMBER_ID_INVALID}")
        now = datetime.now(UTC)
        if await numbers.store(ctx.session, number, now=now, box=directory.box):
            _after_commit(ctx.session, lambda: directory.forget(number.phone_number_id))
            # A newer configuration (a new token, say) is the fix a paused number waits for.
            if number.state == "active" and await holds.resume(ctx.session, number.phone_number_id, now=now):
                log.warning("number_resumed", phone_number_id=number.phone_number_id, by="number_configured")
                if wake_dispatcher is not None:
                    _after_commit(ctx.session, wake_dispatcher)
