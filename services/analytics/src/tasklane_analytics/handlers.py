"""Event handlers: every event of the system lands in the event log, once.

Analytics sees every event of the system, and recording one is a single row, so it takes them in
batches: one transaction per batch instead of one per event.
"""

from __future__ import annotations

from tasklane_analytics.repository import EventRepository
from tasklane_common.messaging import Envelope
from tasklane_common.messaging.batch import BatchContext


async def record(ctx: BatchContext, envelopes: list[Envelope]) -> None:
    await EventRepository(ctx.session).record(envelopes)
