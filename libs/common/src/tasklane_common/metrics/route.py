"""``GET /metrics``: the Prometheus exposition of one service, behind an API key.

The counts it shows (messages per hour, failures, paused numbers, backlogs) are business figures
an outsider should not learn, and the port is the same as the API's, so any configured key (any
role) is required; Prometheus sends one with ``authorization.credentials_file`` (docs/metrics.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.metrics.registry import ServiceMetrics
from tasklane_common.settings import AuthSettings, Role


def metrics_router(metrics: ServiceMetrics, auth: AuthSettings) -> APIRouter:
    # Analyst is the least role: every key's role grants it.
    router = APIRouter(tags=["metrics"], dependencies=[requires(ApiKeyAuth(auth), Role.ANALYST)])

    @router.get(
        "/metrics",
        summary="Prometheus metrics of this service (any API key)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
    )
    async def exposition() -> Response:
        await metrics.sample()
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router
