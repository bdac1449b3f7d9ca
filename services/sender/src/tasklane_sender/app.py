"""Composition root of the sender service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from tasklane_common import docs, problems
from tasklane_common.auth import ApiKeyAuth
from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.http import health_router
from tasklane_common.logging import get_logger
from tasklane_common.messaging.topology import (
    SENDER_INBOUND,
    SENDER_INTEGRATIONS,
    SENDER_REPLIES,
    SENDER_STATUSES,
)
from tasklane_common.metrics import metrics_router
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.tracing.http import http_telemetry
from tasklane_sender import api, handlers, operations
from tasklane_sender.audit import audited
from tasklane_sender.dispatcher import Dispatcher
from tasklane_sender.graph import GraphClient
from tasklane_sender.metrics import SenderMetrics
from tasklane_sender.numbers import NumberDirectory
from tasklane_sender.pacing import PAIR_RETENTION
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import metadata, recipient_pacing, windows
from tasklane_sender.windows import WINDOW_RETENTION

MIGRATIONS = Path(__file__).parent / "migrations"
log = get_logger(__name__)


def create_app(
    settings: SenderSettings | None = None, *, graph_client: httpx.AsyncClient | None = None
) -> FastAPI:
    """The sender app. ``graph_client`` (owned by the caller) replaces the HTTP client the lifespan
    would open towards ``graph_base_url``, e.g. one routed in-process to the simulator app."""
    settings = settings or SenderSettings()
    runtime = ServiceRuntime("sender", settings, metadata, migrations=MIGRATIONS)
    replies = runtime.consumer(SENDER_REPLIES)
    statuses = runtime.consumer(SENDER_STATUSES)
    inbound = runtime.consumer(SENDER_INBOUND)
    integrations = runtime.consumer(SENDER_INTEGRATIONS)
    directory = NumberDirectory(runtime.db, settings)
    runtime.retain(windows, aged_by=windows.c.last_inbound_at, key=windows.c.wa_id, keep=WINDOW_RETENTION)
    # A pair schedule in the past constrains nothing: such rows only cost space.
    pairs = recipient_pacing.c
    runtime.retain(recipient_pacing, aged_by=pairs.next_slot_at, key=pairs.to, keep=PAIR_RETENTION)
    # Built in the lifespan, once the HTTP client exists; consumers only need to wake it.
    holder: dict[str, Dispatcher] = {}

    def wake_dispatcher() -> None:
        if "dispatcher" in holder:
            holder["dispatcher"].notify()

    handlers.register(replies, statuses, settings=settings, wake_dispatcher=wake_dispatcher)
    handlers.register_inbound(inbound, settings=settings, wake_dispatcher=wake_dispatcher)
    handlers.register_integrations(integrations, directory=directory, wake_dispatcher=wake_dispatcher)

    def breaker_states() -> dict[str, str]:
        return holder["dispatcher"].graph.breaker_states() if "dispatcher" in holder else {}

    metrics = SenderMetrics(runtime, breaker_states)
    operations.register(runtime, breaker_states, wake_dispatcher)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            http = graph_client
            if http is None:
                http = await stack.enter_async_context(
                    httpx.AsyncClient(
                        timeout=settings.request_timeout_s,
                        limits=httpx.Limits(
                            max_connections=settings.graph_concurrency,
                            max_keepalive_connections=settings.graph_concurrency,
                        ),
                    )
                )
            if settings.access_token is None:
                log.warning(
                    "no_access_token", hint="set WHATSAPP_ACCESS_TOKEN; the Graph API will refuse sends"
                )
            dispatcher = Dispatcher(runtime, settings, GraphClient(http, settings, tokens=directory))
            dispatcher.graph.on_call = metrics.call
            dispatcher.on_replied = metrics.replied
            await runtime.start()
            holder["dispatcher"] = dispatcher
            app.state.dispatcher = dispatcher
            dispatcher.start()
            try:
                yield
            finally:
                # One budget for both: the dispatcher (its calls in flight) and the consumers
                # (their deliveries in flight) drain side by side, then the connections close
                # (bounded too): see docs/sender.md, "Shutdown".
                budget = settings.shutdown_grace_s
                await asyncio.gather(dispatcher.stop(budget), runtime.drain(budget))
                holder.pop("dispatcher", None)
                try:
                    await asyncio.wait_for(runtime.close(), settings.shutdown_close_s)
                except TimeoutError:
                    # What is left in the outbox is relayed by another replica (or the next start).
                    log.warning("close_timeout", budget_s=settings.shutdown_close_s)

    app = FastAPI(
        title="Tasklane sender",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=http_telemetry(),
    )
    problems.install(app)
    docs.install(app)
    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    app.include_router(metrics_router(runtime.metrics, settings.auth))
    # The shared dead-letter API checks the role itself; the audit logs only requests that passed.
    app.include_router(
        dead_letters_router(runtime), dependencies=[audited(ApiKeyAuth(settings.auth), runtime)]
    )
    app.include_router(api.router(runtime, breaker_states, wake_dispatcher))
    return app
