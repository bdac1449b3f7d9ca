"""Composition root of the agent service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI

from tasklane_agent import handlers, reactions
from tasklane_agent.api import tasks_api_router
from tasklane_agent.engines.router import EngineRouter, build_router
from tasklane_agent.engines.rules import RulesEngine
from tasklane_agent.metrics import AgentMetrics
from tasklane_agent.reminders.worker import LATE_AFTER, with_reminders
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.tables import conversation_turns, metadata
from tasklane_common import docs, problems
from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.http import health_router
from tasklane_common.messaging.topology import AGENT_INBOUND
from tasklane_common.metrics import metrics_router
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.tracing.http import http_telemetry

MIGRATIONS = Path(__file__).parent / "migrations"


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: AgentSettings | None = None, *, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    """``clock`` returns the current time (timezone-aware); tests pin it to resolve dates."""
    settings = settings or AgentSettings()
    runtime = ServiceRuntime("agent", settings, metadata, migrations=MIGRATIONS)
    runtime.retain(
        conversation_turns,
        aged_by=conversation_turns.c.created_at,
        key=conversation_turns.c.id,
        keep=timedelta(days=settings.memory_retention_days),
    )
    # One router per process: its LLM breaker must see every message to count failures.
    http = httpx.AsyncClient() if settings.llm.url else None
    router = build_router(settings.llm, http, RulesEngine(list_limit=settings.list_limit))
    metrics = AgentMetrics(runtime, late_after=LATE_AFTER)
    handlers.register(
        runtime.consumer(AGENT_INBOUND), settings, clock or system_clock, lambda: router, metrics=metrics
    )
    # The wamids of sent replies, for reactions to them (after agent.inbound: consumers[0]).
    reactions.install(runtime, settings)

    async def ai_state() -> dict[str, object]:
        # The LLM's breaker, for the system health's aiProcessing (closed when no LLM is used).
        return {"state": router.state().get("breaker", "closed"), **router.state()}

    runtime.control.report("ai", ai_state)

    async def reminders_state() -> dict[str, int]:
        return await metrics.reminders(runtime)

    runtime.control.report("reminders", reminders_state)

    # Reminders run inside the runtime's lifespan: after migrations, stopped before its last flush.
    with_worker = with_reminders(runtime, settings.reminders, clock or system_clock, metrics=metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with with_worker(app):
                yield
        finally:
            if http is not None:
                await http.aclose()

    app = FastAPI(
        title="Tasklane agent",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=http_telemetry(),
    )
    problems.install(app)
    docs.install(app)
    app.state.runtime = runtime
    app.state.engine = router
    app.include_router(health_router(runtime))
    app.include_router(metrics_router(runtime.metrics, settings.auth))
    app.include_router(_engine_health(router))
    app.include_router(dead_letters_router(runtime))
    app.include_router(tasks_api_router(runtime, settings, clock))
    return app


def _engine_health(router: EngineRouter) -> APIRouter:
    health = APIRouter(tags=["health"])

    @health.get("/health/engine", summary="Which engine answers, and the LLM breaker's state")
    async def engine() -> dict[str, object]:
        return router.state()

    return health
