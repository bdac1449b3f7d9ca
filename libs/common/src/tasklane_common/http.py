"""HTTP pieces every service mounts.

Server spans come from FastAPI's own OpenTelemetry support (one SERVER span per request,
continuing a caller's ``traceparent``), so no tracing middleware of ours is needed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from tasklane_common.db.failures import is_bad_input, is_outage
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)


@asynccontextmanager
async def database_answers() -> AsyncIterator[None]:
    """Around a route's database work: values the database refuses (SQLSTATE class 22) are the
    request's fault, a 422; a database that cannot be reached or cannot serve is a 503 (retry);
    anything else is a bug of ours and stays a 500."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        if is_bad_input(exc):
            raise HTTPException(422, "a value the database cannot store") from None
        if not is_outage(exc):
            raise
        log.error("api_database_unavailable", error=type(exc).__name__)
        raise HTTPException(503, "database unavailable, retry") from None


def request_source(request: Request) -> str | None:
    """Where an admin request came from, for audit trails: the first X-Forwarded-For hop (the
    ingress sets it), else the peer address."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()[:200] or None
    return request.client.host if request.client else None


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
