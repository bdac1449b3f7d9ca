"""Operating the system from analytics (docs/operations.md): the live fleet from heartbeats, the
read models of every service's audit rows and dead letters, and the API steering them."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from tasklane_analytics.operations import api, records
from tasklane_analytics.operations.fleet import Fleet
from tasklane_analytics.operations.service import Operations
from tasklane_analytics.operations.tables import audit_trail, consumer_pauses, dead_letter_view
from tasklane_common.control import heartbeat_routing_key
from tasklane_common.messaging.topology import ANALYTICS_OPERATIONS
from tasklane_common.runtime import ServiceRuntime


def install(app: FastAPI, runtime: ServiceRuntime) -> Operations:
    """Consume the operations events, listen to heartbeats and mount the API; the operations are
    returned for the console to use in-process."""
    fleet = Fleet()
    records.register(runtime.consumer(ANALYTICS_OPERATIONS))
    # The owners prune their dead letters after this long without announcing it: so does the view.
    view = dead_letter_view.c
    keep = timedelta(days=runtime.settings.dead_letter_retention_days)
    runtime.retain(dead_letter_view, aged_by=view.dead_at, key=view.letter_id, keep=keep)
    runtime.control.listen([heartbeat_routing_key("*")], fleet.on_heartbeat)
    ops = Operations(runtime, fleet)
    versioned = api.router(ops)
    app.include_router(versioned)
    app.include_router(api.seed_router(versioned))
    app.state.fleet = fleet
    return ops


__all__ = ["Fleet", "Operations", "audit_trail", "consumer_pauses", "dead_letter_view", "install"]
