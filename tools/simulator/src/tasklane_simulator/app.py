"""The simulator's HTTP face: the Graph API ``/messages`` endpoint and ``/__sim`` controls."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import Body, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane_simulator.errors import graph_error
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

_VERSION = re.compile(r"^v\d+(\.\d+)?$")
_UNRECORDED_PREFIXES = ("/__sim", "/health")


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class RecordingMiddleware:
    """Records every Graph-side request with its answer; control and health calls are not kept."""

    def __init__(self, app: ASGIApp, *, simulator: WhatsAppSimulator) -> None:
        self.app = app
        self.simulator = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_UNRECORDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        received_at, started = datetime.now(UTC), time.monotonic()
        request_body = bytearray()
        response_body = bytearray()
        status = 500

        async def receive_wrapper() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response_body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            self.simulator.record(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                body=_parse(bytes(request_body)),
                status_code=status,
                response=_parse(bytes(response_body)),
                received_at=received_at,
                received_monotonic=started,
                duration_ms=round((time.monotonic() - started) * 1000, 3),
            )


def create_app(
    settings: SimulatorSettings | None = None, *, webhook_client: httpx.AsyncClient | None = None
) -> FastAPI:
    """The simulator app; ``app.state.simulator`` is its :class:`WhatsAppSimulator`.

    ``webhook_client`` lets the embedded mode post webhooks to the gateway app in-process (an
    ``httpx.AsyncClient`` over ``ASGITransport``); otherwise the lifespan makes a real one.
    """
    settings = settings or SimulatorSettings()
    simulator = WhatsAppSimulator(settings, webhook_client)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await simulator.close()

    app = FastAPI(title="Tasklane WhatsApp Cloud API simulator", version="0.1.0", lifespan=lifespan)
    app.state.simulator = simulator
    app.add_middleware(RecordingMiddleware, simulator=simulator)

    @app.post("/{version}/{phone_number_id}/messages")
    async def messages(version: str, phone_number_id: str, request: Request) -> Response:
        if not _VERSION.match(version):
            return JSONResponse(
                graph_error(100, "Unknown path components: /messages", type_="OAuthException"),
                status_code=400,
            )
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return JSONResponse(graph_error(100, details="Request body is not valid JSON"), status_code=400)
        status, answer = simulator.handle_messages(
            phone_number_id, request.headers.get("authorization"), body
        )
        if settings.response_delay_s > 0:
            await asyncio.sleep(settings.response_delay_s)
        if isinstance(answer, str):
            return PlainTextResponse(answer, status_code=status)
        return JSONResponse(answer, status_code=status)

    @app.get("/__sim/requests")
    async def list_requests() -> list[dict[str, Any]]:
        return [r.to_dict() for r in simulator.requests()]

    @app.delete("/__sim/requests")
    async def reset() -> dict[str, bool]:
        simulator.reset()
        return {"reset": True}

    @app.get("/__sim/messages")
    async def list_messages(to: Annotated[str | None, Query()] = None) -> list[dict[str, Any]]:
        return simulator.sent_messages(to)

    @app.get("/__sim/webhooks")
    async def list_webhooks() -> list[dict[str, Any]]:
        return [d.to_dict() for d in simulator.webhook_deliveries()]

    @app.post("/__sim/inbound")
    async def inbound(payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        from_, text = payload.get("from"), payload.get("text")
        if not isinstance(from_, str) or not isinstance(text, str):
            return JSONResponse({"error": "'from' and 'text' are required strings"}, status_code=422)
        try:
            result = await simulator.inject_text(from_, text, name=str(payload.get("name") or "Test User"))
        except httpx.HTTPError as exc:
            return JSONResponse({"error": f"webhook delivery failed: {type(exc).__name__}"}, status_code=502)
        return JSONResponse({"wamid": result.wamid, "gateway_status": result.status_code})

    @app.post("/__sim/faults")
    async def faults(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """``{"count": n, "code": 131000, "status": 503}``: fail the next n sends."""
        count = int(payload.get("count", 1))
        code = payload.get("code", 131000)
        status = payload.get("status")
        simulator.fail_next(
            count,
            None if code is None else int(code),
            status=None if status is None else int(status),
            details=payload.get("details"),
        )
        return {"count": count, "code": code, "status": status}

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    return app
