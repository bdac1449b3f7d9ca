"""Composition root of the agent service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from tasklane_agent import handlers
from tasklane_agent.api import tasks_api_router
from tasklane_agent.reminder_worker import with_reminders
from tasklane_agent.settings import AgentSettings
from tasklane_agent.tables import metadata
from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.http import health_router
from tasklane_common.messaging.topology import AGENT_INBOUND
from tasklane_common.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: AgentSettings | None = None, *, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    """``clock`` returns the current time (timezone-aware); tests pin it to resolve dates."""
    settings = settings or AgentSettings()
    runtime = ServiceRuntime("agent", settings, metadata, migrations=MIGRATIONS)
    handlers.register(runtime.consumer(AGENT_INBOUND), settings, clock or system_clock, lambda: None)

    # Reminders run inside the runtime's lifespan: after migrations, stopped before its last flush.
    lifespan = with_reminders(runtime, settings.reminders, clock or system_clock)
    app = FastAPI(title="Tasklane agent", version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    app.include_router(dead_letters_router(runtime))
    app.include_router(tasks_api_router(runtime, settings, clock))
    return app
