"""Messages that arrive after Meta's retry horizon: kept, never acted on.

Meta retries an unacknowledged webhook for up to 7 days. A message older than that when the
gateway first sees it can only come from a long outage (or a replay): acting on it now would fire
a week-old "delete it" or remind someone of a day long past. It is claimed like any other item (so
a retry is a duplicate), kept in ``expired_messages`` for an operator, announced as
``message.expired`` (counted by analytics), and neither published to the agent nor answered.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageExpired
from tasklane_gateway.events import PRODUCER
from tasklane_gateway.tables import expired_messages
from tasklane_gateway.webhook import InboundMessage


def split_expired(
    messages: list[InboundMessage], now: datetime, horizon: timedelta
) -> tuple[list[InboundMessage], list[InboundMessage]]:
    """(current, expired), each in Meta's order."""
    current = [m for m in messages if now - m.sent_at <= horizon]
    expired = [m for m in messages if now - m.sent_at > horizon]
    return current, expired


async def keep_expired(
    session: AsyncSession, messages: list[InboundMessage], now: datetime
) -> list[Envelope]:
    if not messages:
        return []
    rows = [
        {
            "wamid": m.wamid,
            "phone_number_id": m.phone_number_id,
            "message_type": m.message_type[:64],
            "sent_at": m.sent_at,
            "received_at": now,
            "message": _jsonable(m),
        }
        for m in messages
    ]
    await session.execute(upsert_insert(session, expired_messages).values(rows).on_conflict_do_nothing())
    return [
        new_envelope(
            MessageExpired(
                wamid=m.wamid,
                phone_number_id=m.phone_number_id,
                message_type=m.message_type,
                sent_at=m.sent_at,
                received_at=now,
            ),
            producer=PRODUCER,
            event_id=deterministic_id("message.expired", m.wamid),
            occurred_at=now,
        )
        for m in messages
    ]


def _jsonable(message: InboundMessage) -> dict[str, object]:
    out = dataclasses.asdict(message)
    out["sent_at"] = message.sent_at.isoformat()
    return out
