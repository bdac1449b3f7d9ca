"""HTTP pieces every service mounts: health endpoints and a server span per request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane_common.runtime import ServiceRuntime
from tasklane_common.telemetry import extract_context, tracer


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


class TracingMiddleware:
    """One SERVER span per HTTP request, continuing a caller's ``traceparent`` if it sent one."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self._tracer = tracer(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/health"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        route = f"{scope['method']} {scope['path']}"
        with self._tracer.start_as_current_span(
            route,
            context=extract_context(headers),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        ) as span:

            async def send_wrapper(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status: Any = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(trace.StatusCode.ERROR)
                await send(message)

            await self.app(scope, receive, send_wrapper)
