"""The 24-hour customer-service window per (business number, user), read receipts, and what a
message becomes when the window is closed.

Meta lets a business send free-form messages to a user for 24 hours after the user's last
message; after that only approved templates (131047 otherwise). Each ``message.received`` moves
the window's start forward (never back: events arrive in any order) and queues a read receipt.

Before a batch is sent, ``prepare`` checks each free-form message against the window:

* open: sent as is;
* closed (the user's last message is older than 24 h): sent as the window template
  (``templates``), or failed with the reason when there is none or the message has no text;
* unknown (no message from this user seen): sent as is, and Meta decides. The sender only
  learns windows from the inbound messages it has seen, so "unknown" is not "closed": after a
  deployment, for users who wrote before, or for a reply that overtook the event of the message
  it answers. Meta's 131047 (synchronous, or as a ``failed`` status) then leads to the same
  fallback, once: a template is never turned into a template again.

The original kind and content stay on the row (``original_kind``, ``original_content``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_common.logging import get_logger
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_sender import kinds, recipients, templates
from tasklane_sender.repository import OutboundMessage, OutboundRepository
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import numbers, outbound_messages, windows

log = get_logger(__name__)

WINDOW = timedelta(hours=24)
# Meta: mark a message read within 30 days of receiving it.
RECEIPT_MAX_AGE = timedelta(days=30)
# Past this a window row only says "closed", which Meta can tell as well: pruned.
WINDOW_RETENTION = timedelta(days=30)
OUTSIDE_WINDOW = 131047
# Kinds the window does not apply to.
ALWAYS_ALLOWED = frozenset({templates.TEMPLATE, kinds.READ})
# User "messages" that are not the user writing: no window, nothing to mark read.
NOT_FROM_USER = frozenset({"system"})
NOTHING_TO_READ = frozenset({"system", "reaction"})


@dataclass(frozen=True)
class Prepared:
    """What to send for a claimed message; ``failure`` set: send nothing, fail it with this."""

    kind: str
    content: dict[str, Any]
    failure: str | None = None


def _utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# ---- inbound ---------------------------------------------------------------------------------


async def record_inbound(
    session: AsyncSession,
    event: MessageReceived,
    *,
    settings: SenderSettings,
    correlation_id: str,
    causation_id: str | None,
    trace_context: dict[str, str] | None,
    now: datetime,
) -> bool:
    """Open (or extend) the window and queue the read receipt; True if a receipt was queued.

    The window is kept under every address of the writer (their number's digits and their
    business-scoped id, whichever Meta sent): ``prepare`` looks it up by the address a reply
    names, and a reply, notice or reminder may name the user either way."""
    addresses = recipients.of_inbound(event)
    if not addresses or event.message_type in NOT_FROM_USER:
        return False
    insert = upsert_insert(session, windows).values(
        [
            {
                "phone_number_id": event.phone_number_id,
                "wa_id": address,
                "last_inbound_at": event.sent_at,
                "updated_at": now,
            }
            for address in addresses
        ]
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[windows.c.phone_number_id, windows.c.wa_id],
            set_={"last_inbound_at": insert.excluded.last_inbound_at, "updated_at": now},
            # Monotonic: an older message delivered late never shortens the window.
            where=windows.c.last_inbound_at < insert.excluded.last_inbound_at,
        )
    )
    if not settings.read_receipts or event.message_type in NOTHING_TO_READ:
        return False
    if now - event.sent_at > RECEIPT_MAX_AGE:
        return False
    content: dict[str, Any] = {"message_id": event.wamid}
    # Typing promises a reply: only for a fresh message whose window is open (a late webhook
    # retry days after the fact gets its blue ticks, not a typing bubble).
    if now - event.received_at <= kinds.TYPING_WINDOW and now - event.sent_at < WINDOW:
        content["typing_indicator"] = dict(kinds.TYPING_INDICATOR)
    return await OutboundRepository(session).enqueue(
        reply_id=deterministic_id("sender.read", event.phone_number_id, event.wamid),
        correlation_id=correlation_id,
        causation_id=causation_id,
        user_id=event.user_id,
        phone_number_id=event.phone_number_id,
        # A receipt names no recipient in its request; this orders it among the messages to the
        # address replies default to (the agent's ``wa_id or bsuid``).
        to=addresses[0],
        kind=kinds.READ,
        content=content,
        now=now,
        # Its created_at is when the message reached us: the typing indicator's clock, and it
        # orders the receipt before the reply to that message.
        requested_at=event.received_at,
        trace_context=trace_context,
    )


# ---- before sending --------------------------------------------------------------------------


async def prepare(
    session: AsyncSession, messages: Sequence[OutboundMessage], settings: SenderSettings, now: datetime
) -> dict[str, Prepared]:
    """What to send for each of ``messages`` (claimed by the caller), by reply id. Messages the
    window turns into templates are rewritten on their row in ``session``."""
    out = {m.reply_id: Prepared(m.kind, m.content) for m in messages}
    if not messages:
        return out
    states = dict(
        (
            await session.execute(
                select(numbers.c.phone_number_id, numbers.c.state).where(
                    numbers.c.phone_number_id.in_({m.phone_number_id for m in messages})
                )
            )
        ).all()
    )
    free_form = [m for m in messages if m.kind not in ALWAYS_ALLOWED]
    opened: dict[tuple[str, str], datetime] = {}
    if free_form:
        pairs = list({(m.phone_number_id, m.to) for m in free_form})
        rows = await session.execute(
            select(windows.c.phone_number_id, windows.c.wa_id, windows.c.last_inbound_at).where(
                tuple_(windows.c.phone_number_id, windows.c.wa_id).in_(pairs)
            )
        )
        opened = {(r.phone_number_id, r.wa_id): _utc(r.last_inbound_at) for r in rows}
    for message in messages:
        state = states.get(message.phone_number_id, "active")
        if state != "active":
            out[message.reply_id] = Prepared(
                message.kind, message.content, f"phone number {message.phone_number_id} is {state}"
            )
            continue
        last = opened.get((message.phone_number_id, message.to))
        if message.kind in ALWAYS_ALLOWED or last is None or now - last < WINDOW:
            continue
        fallback = templates.fallback(message, settings)
        if fallback is None:
            out[message.reply_id] = Prepared(
                message.kind, message.content, templates.why_not(message, settings)
            )
            continue
        kind, content = fallback
        await session.execute(
            update(outbound_messages)
            .where(outbound_messages.c.reply_id == message.reply_id)
            .values(kind=kind, content=content, original_kind=message.kind, original_content=message.content)
        )
        out[message.reply_id] = Prepared(kind, content)
        log.info("sent_as_template", reply_id=message.reply_id, last_inbound_at=last.isoformat())
    return out


# ---- Meta says the window is closed (131047) ---------------------------------------------------


def outside_window(errors: Sequence[dict[str, Any]]) -> bool:
    return any(e.get("code") == OUTSIDE_WINDOW for e in errors if isinstance(e, dict))


def refusal_reason(message: OutboundMessage, settings: SenderSettings, meta_reason: str) -> str:
    """The reason a message fails with when Meta refused it for the window and no fallback exists."""
    why = templates.why_not(message, settings)
    return f"{why} ({meta_reason})" if meta_reason else why


async def requeue_as_template(
    session: AsyncSession, message: OutboundMessage, settings: SenderSettings, *, reason: str, now: datetime
) -> OutboundMessage | None:
    """After a synchronous 131047 for ``message`` (claimed by this worker): queue it again at once
    as the window template, without counting the attempt. None when it cannot fall back (it is a
    template already, has no text, or none is configured) or its lease was lost."""
    fallback = templates.fallback(message, settings)
    if fallback is None:
        return None
    kind, content = fallback
    t = outbound_messages
    row = (
        await session.execute(
            update(t)
            .where(
                t.c.reply_id == message.reply_id, t.c.status == "sending", t.c.attempts == message.attempts
            )
            .values(
                status="queued",
                kind=kind,
                content=content,
                original_kind=message.kind,
                original_content=message.content,
                attempts=t.c.attempts - 1,
                next_attempt_at=now,
                lease_until=None,
                last_error=reason,
                error_code=OUTSIDE_WINDOW,
                updated_at=now,
            )
            .returning(*t.c)
        )
    ).first()
    return OutboundMessage.from_row(row) if row else None


async def resend_after_failed_status(
    session: AsyncSession,
    *,
    wamid: str,
    status_at: datetime,
    errors: list[dict[str, Any]],
    pricing: dict[str, Any] | None,
    settings: SenderSettings,
    now: datetime,
) -> OutboundMessage | None:
    """A ``failed`` status with 131047 (Meta accepted the message, then refused it for the
    window): queue the message again as the window template, keeping the status in the history.
    None when it does not apply; the caller then records the failure as usual."""
    if not outside_window(errors):
        return None
    repo = OutboundRepository(session)
    await repo.lock_wamid(wamid)
    message = await repo.find_by_wamid(wamid)
    if message is None or message.status != "sent":
        return None
    fallback = templates.fallback(message, settings)
    if fallback is None:
        return None
    await repo.record_status(
        wamid=wamid, status="failed", status_at=status_at, errors=errors, pricing=pricing, known=True, now=now
    )
    kind, content = fallback
    t = outbound_messages
    row = (
        await session.execute(
            update(t)
            .where(t.c.reply_id == message.reply_id, t.c.status == "sent")
            .values(
                status="queued",
                kind=kind,
                content=content,
                original_kind=message.kind,
                original_content=message.content,
                wamid=None,
                sent_at=None,
                next_attempt_at=now,
                last_error=f"Meta refused it outside the 24-hour window (wamid {wamid})",
                error_code=OUTSIDE_WINDOW,
                updated_at=now,
            )
            .returning(*t.c)
        )
    ).first()
    return OutboundMessage.from_row(row) if row else None
