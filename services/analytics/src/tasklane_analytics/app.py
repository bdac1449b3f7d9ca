"""Composition root of the analytics service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tasklane_analytics import handlers, operations
from tasklane_analytics.alerts import api as alerts_api
from tasklane_analytics.alerts.service import AlertService, with_alerts
from tasklane_analytics.console import PREFIX as CONSOLE
from tasklane_analytics.console import create_console
from tasklane_analytics.eventlog.privacy import Pseudonymizer
from tasklane_analytics.eventlog.retention import retain_raw_events
from tasklane_analytics.figures import api as figures_api
from tasklane_analytics.rollups.overdue import with_overdue_sweep
from tasklane_analytics.settings import BATCH, AnalyticsSettings
from tasklane_analytics.tables import metadata
from tasklane_common import docs, problems
from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.http import health_router
from tasklane_common.messaging.topology import ANALYTICS_EVENTS
from tasklane_common.metrics import metrics_router
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.tracing.http import http_telemetry

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    runtime = ServiceRuntime("analytics", settings, metadata, migrations=MIGRATIONS)
    record = handlers.recorder(Pseudonymizer(settings.pseudonym_key_bytes()))
    runtime.batch_consumer(ANALYTICS_EVENTS, record, max_batch=BATCH)
    retain_raw_events(runtime, settings.raw_retention_days)

    alerts = AlertService(runtime, settings.alerts)
    lifespan = with_alerts(with_overdue_sweep(runtime, settings.overdue_sweep_interval_s), alerts)
    app = FastAPI(
        title="Tasklane analytics",
        version="0.2.0",
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
    app.include_router(dead_letters_router(runtime))
    app.include_router(figures_api.router(runtime))
    ops = operations.install(app, runtime)
    alerts.watch(ops)
    app.state.alerts = alerts
    app.include_router(alerts_api.router(alerts))
    app.mount(CONSOLE, create_console(runtime, ops, settings.console, settings.auth, alerts))
    return app
