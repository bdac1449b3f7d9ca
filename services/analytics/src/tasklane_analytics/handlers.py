"""Event handlers: every event of the system lands in the event log once, and in the hourly
rollups, in the same transaction as the inbox claim that makes it once.

Analytics sees every event of the system, and recording one is a row or two, so it takes them in
batches: one transaction per batch instead of one per event.
"""

from __future__ import annotations

from tasklane_analytics.eventlog.privacy import Pseudonymizer
from tasklane_analytics.eventlog.repository import EventLog, scrubbed, trace_id_of
from tasklane_analytics.rollups.store import RollupStore
from tasklane_common.messaging import Envelope
from tasklane_common.messaging.batch import BatchContext, BatchHandler


def recorder(pseudonym: Pseudonymizer) -> BatchHandler:
    async def record(ctx: BatchContext, envelopes: list[Envelope]) -> None:
        # Rollups read the scrubbed event, as a recompute from the log will: same figures.
        kept = [scrubbed(e, pseudonym) for e in envelopes]
        traces = {e.id: trace_id_of(ctx.headers.get(e.id)) for e in envelopes}
        await EventLog(ctx.session).record(kept, traces)
        await RollupStore(ctx.session).apply(kept)

    return record
