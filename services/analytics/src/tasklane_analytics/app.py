"""Composition root of the analytics service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tasklane_analytics import api, handlers
from tasklane_analytics.console import PREFIX as CONSOLE
from tasklane_analytics.console import create_console
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_analytics.tables import metadata
from tasklane_common import docs, problems
from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.http import health_router
from tasklane_common.messaging.topology import ANALYTICS_EVENTS
from tasklane_common.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    runtime = ServiceRuntime("analytics", settings, metadata, migrations=MIGRATIONS)
    runtime.batch_consumer(ANALYTICS_EVENTS, handlers.record)

    app = FastAPI(
        title="Tasklane analytics", version="0.1.0", lifespan=runtime.lifespan, docs_url=None, redoc_url=None
    )
    problems.install(app)
    docs.install(app)
    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    app.include_router(dead_letters_router(runtime))
    app.include_router(api.router(runtime))
    app.mount(CONSOLE, create_console(runtime, settings.console, settings.auth))
    return app
