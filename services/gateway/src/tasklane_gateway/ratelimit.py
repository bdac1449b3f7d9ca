"""The per-user inbound rate limit: N messages per user per minute, held across replicas.

Counts live in PostgreSQL (``inbound_rate``, one row per user and fixed one-minute window), raised
by an upsert in the webhook's transaction: the row stays locked until that transaction ends, so two
replicas counting the same user take turns and together never admit more than the limit. A
rolled-back webhook (publish not confirmed) takes its counts back with it, so Meta's retry is
counted once.

A message over the limit is acknowledged to Meta like any other (a retry would only be over the
limit again) but not processed: it is kept in ``throttled_messages`` and announced as
``message.throttled`` instead of ``message.received``. The message that first crosses the limit in a
window, and only that one, earns the user a "slow down" reply; the counter says which it is, so
no other state is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_common.logging import get_logger
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import MessageThrottled
from tasklane_common.messaging.outbox import Outbox
from tasklane_gateway.contacts_repository import Contact
from tasklane_gateway.events import PRODUCER, message_envelope
from tasklane_gateway.tables import inbound_rate, throttled_messages
from tasklane_gateway.webhook import InboundMessage

log = get_logger(__name__)

WINDOW = timedelta(minutes=1)


def window_of(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


@dataclass
class Admission:
    admitted: list[InboundMessage] = field(default_factory=list)
    throttled: list[InboundMessage] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)
    # 1 if this batch crossed the limit and a "slow down" reply was queued.
    slowed_down: int = 0


class InboundRateLimit:
    def __init__(self, per_minute: int, slow_down_text: str, outbox: Outbox) -> None:
        self.per_minute = per_minute
        self._text = slow_down_text
        self._outbox = outbox

    async def admit(
        self, session: AsyncSession, contact: Contact, messages: list[InboundMessage], now: datetime
    ) -> Admission:
        """Split one user's new messages (in Meta's order) into admitted and throttled ones.
        Callers go through users in a fixed order, so concurrent webhooks cannot deadlock."""
        out = Admission()
        if self.per_minute <= 0 or not messages:
            out.admitted = list(messages)
            return out
        window = window_of(now)
        stmt = upsert_insert(session, inbound_rate).values(
            user_id=contact.user_id, window_start=window, count=len(messages)
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[inbound_rate.c.user_id, inbound_rate.c.window_start],
            set_={"count": inbound_rate.c.count + len(messages)},
        )
        count = int((await session.execute(stmt.returning(inbound_rate.c.count))).scalar_one())
        before = count - len(messages)
        for position, message in enumerate(messages, start=before):
            if position < self.per_minute:
                out.admitted.append(message)
                continue
            out.throttled.append(message)
            if position == self.per_minute:
                await self._slow_down(session, contact, message, window)
                out.slowed_down = 1
        if out.throttled:
            out.events = await self._keep(session, contact, out.throttled, now)
            log.info(
                "messages_throttled",
                user_id=contact.user_id,
                throttled=len(out.throttled),
                limit_per_minute=self.per_minute,
            )
        return out

    async def _keep(
        self, session: AsyncSession, contact: Contact, messages: list[InboundMessage], now: datetime
    ) -> list[Envelope]:
        rows = []
        events = []
        for message in messages:
            payload = message_envelope(message, contact.user_id, now).payload
            rows.append(
                {
                    "wamid": message.wamid,
                    "phone_number_id": message.phone_number_id,
                    "user_id": contact.user_id,
                    "message_type": message.message_type[:64],
                    "received_at": now,
                    "event": payload,
                }
            )
            events.append(
                new_envelope(
                    MessageThrottled(
                        wamid=message.wamid,
                        phone_number_id=message.phone_number_id,
                        user_id=contact.user_id,
                        received_at=now,
                        limit_per_minute=self.per_minute,
                    ),
                    producer=PRODUCER,
                    event_id=deterministic_id("message.throttled", message.wamid),
                    occurred_at=now,
                )
            )
        insert = upsert_insert(session, throttled_messages).values(rows)
        await session.execute(insert.on_conflict_do_nothing())
        return events

    async def _slow_down(
        self, session: AsyncSession, contact: Contact, message: InboundMessage, window: datetime
    ) -> None:
        reply_id = deterministic_id("slow-down-reply", contact.user_id, window.isoformat())
        await self._outbox.add(
            session,
            ReplyRequested(
                reply_id=reply_id,
                phone_number_id=message.phone_number_id,
                to=message.wa_id or message.sender,
                user_id=contact.user_id,
                kind="text",
                content={"body": self._text, "preview_url": False},
                in_reply_to=message.wamid,
            ),
            event_id=reply_id,
        )
