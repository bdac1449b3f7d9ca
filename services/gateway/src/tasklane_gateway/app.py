"""Composition root of the gateway service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from tasklane_common import docs, problems
from tasklane_common.auth import ApiKeyAuth
from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.http import health_router
from tasklane_common.logging import get_logger
from tasklane_common.metrics import metrics_router
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.secrets import SecretBox
from tasklane_common.tracing.http import http_telemetry
from tasklane_gateway import admin_api, api, audit, health, mappings_api
from tasklane_gateway.app_registry import AppRegistry
from tasklane_gateway.graph_probe import GraphProbe
from tasklane_gateway.ingest import WebhookIngestor
from tasklane_gateway.integrations import Integrations
from tasklane_gateway.metrics import WebhookMetrics
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import expired_messages, metadata, processed_webhook_items
from tasklane_gateway.triage import retain_contacts

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger(__name__)


def create_app(
    settings: GatewaySettings | None = None,
    *,
    graph_client: httpx.AsyncClient | None = None,
    secret_box: SecretBox | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The gateway app. ``graph_client`` (owned by the caller) replaces the HTTP client towards
    ``graph_base_url`` (e.g. routed in-process to the simulator); ``secret_box`` replaces the one
    read from ``TASKLANE_SECRETS_KEY`` / ``TASKLANE_SECRETS_PREVIOUS_KEYS``; ``clock`` (tests) pins
    the time webhooks are received at (24-hour registration replies, rate-limit windows)."""
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime("gateway", settings, metadata, migrations=MIGRATIONS)
    box = secret_box or SecretBox.from_env()
    registry = AppRegistry(runtime.db, box, settings)
    integrations = Integrations(box, runtime.outbox)
    http = graph_client or httpx.AsyncClient(timeout=settings.request_timeout_s)
    probe = GraphProbe(http, settings)
    stats = health.WebhookStats()
    monitor = health.HealthMonitor(runtime, settings, stats)
    monitor.breakers = probe.breaker_states
    monitor.caches["integrations"] = lambda: {
        "status": health.HEALTHY if registry.last_error is None else health.DEGRADED,
        **registry.stats(),
    }
    ingestor = WebhookIngestor(runtime, settings, clock=clock)
    monitor.caches["contacts"] = ingestor.cache_health
    retain_contacts(runtime, settings)
    runtime.retain(
        processed_webhook_items,
        aged_by=processed_webhook_items.c.received_at,
        key=processed_webhook_items.c.key,
        keep=timedelta(days=settings.dedup_retention_days),
    )
    runtime.retain(
        expired_messages,
        aged_by=expired_messages.c.received_at,
        key=expired_messages.c.wamid,
        keep=timedelta(days=settings.dedup_retention_days),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            async with runtime.lifespan():
                # Fail closed, but loudly: without these Meta can neither verify nor deliver.
                snapshot = await registry.snapshot()
                if not snapshot.has_secret():
                    log.error("app_secret_missing", consequence="every webhook POST is refused (403)")
                if not snapshot.has_verify_token():
                    log.warning("verify_token_missing", consequence="the subscription handshake is refused")
                if not box.configured:
                    log.warning("secrets_key_missing", consequence="integrations cannot store secrets")
                yield
        finally:
            if graph_client is None:
                await http.aclose()

    app = FastAPI(
        title="Tasklane gateway",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=http_telemetry(),
    )
    problems.install(app)
    docs.install(app)
    app.state.runtime = runtime
    app.state.registry = registry
    # Other modules may add cache probes: ``app.state.health.caches["name"] = lambda: {...}``.
    app.state.health = monitor
    webhook_metrics = WebhookMetrics(runtime.metrics.registry)

    async def webhook_answers() -> dict[str, int]:
        return dict(webhook_metrics.totals)

    runtime.control.report("webhooks", webhook_answers)
    app.add_middleware(
        health.WebhookAnswers,
        observers=[lambda status, _seconds: stats.record(status), webhook_metrics.record],
    )
    app.include_router(health_router(runtime))
    app.include_router(metrics_router(runtime.metrics, settings.auth))
    # Before the webhook router: its /whatsapp/{app_id} would otherwise take /whatsapp/health.
    app.include_router(health.router(monitor, ApiKeyAuth(settings.auth)))
    app.include_router(dead_letters_router(runtime), dependencies=[audit.dead_letter_audit(runtime)])
    app.include_router(api.router(runtime, settings, registry, ingestor))
    app.include_router(mappings_api.router(runtime))
    app.include_router(
        admin_api.router(runtime, integrations, registry, probe, default_access_policy=settings.access_policy)
    )
    return app
