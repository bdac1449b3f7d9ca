"""Event handlers: every event of the system lands in the event log, once."""

from __future__ import annotations

from tasklane_common.messaging import Consumer, Envelope, HandlerContext

from tasklane_analytics.repository import EventRepository


def register(consumer: Consumer) -> None:
    @consumer.on_any
    async def record(ctx: HandlerContext, envelope: Envelope) -> None:
        await EventRepository(ctx.session).record(envelope)
