"""HTTP pieces every service mounts.

Server spans come from FastAPI's own OpenTelemetry support (one SERVER span per request,
continuing a caller's ``traceparent``), so no tracing middleware of ours is needed.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tasklane_common.runtime import ServiceRuntime


def health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        report = await runtime.readiness()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    return router
