"""Event handlers: every event of the system lands in the event log, once."""

from __future__ import annotations

from tasklane_analytics.repository import EventRepository
from tasklane_common.messaging import Consumer, Envelope, HandlerContext


def register(consumer: Consumer) -> None:
    @consumer.on_any
    async def record(ctx: HandlerContext, envelope: Envelope) -> None:
        await EventRepository(ctx.session).record(envelope)
