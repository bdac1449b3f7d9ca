"""Composition root of the gateway service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.http import health_router
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway import api
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import metadata, processed_webhook_items

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime("gateway", settings, metadata, migrations=MIGRATIONS)
    runtime.retain(
        processed_webhook_items,
        aged_by=processed_webhook_items.c.received_at,
        key=processed_webhook_items.c.key,
        keep=timedelta(days=settings.dedup_retention_days),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan():
            # Fail closed, but loudly: without these Meta can neither verify nor deliver.
            if settings.app_secret is None:
                log.error("app_secret_missing", consequence="every webhook POST is refused (403)")
            if settings.verify_token is None:
                log.warning("verify_token_missing", consequence="the subscription handshake is refused")
            yield

    app = FastAPI(title="Tasklane gateway", version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    app.include_router(dead_letters_router(runtime))
    app.include_router(api.router(runtime, settings))
    return app
