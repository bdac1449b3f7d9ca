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

from tasklane_simulator.clock import Clock
from tasklane_simulator.errors import graph_error
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import GraphAnswer, WhatsAppSimulator

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

        response: Any = None
        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        except httpx.TimeoutException:
            status, response = 0, "timeout: no answer"  # an injected timeout answered nothing
            raise
        finally:
            self.simulator.record(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                body=_parse(bytes(request_body)),
                status_code=status,
                response=response if response is not None else _parse(bytes(response_body)),
                received_at=received_at,
                received_monotonic=started,
                duration_ms=round((time.monotonic() - started) * 1000, 3),
            )


def create_app(
    settings: SimulatorSettings | None = None,
    *,
    webhook_client: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The simulator app; ``app.state.simulator`` is its :class:`WhatsAppSimulator`.

    ``webhook_client`` lets the embedded mode post webhooks to the gateway app in-process (an
    ``httpx.AsyncClient`` over ``ASGITransport``); otherwise the lifespan makes a real one.
    ``clock`` (e.g. :class:`~tasklane_simulator.clock.ManualClock`) makes limits exact in tests.
    """
    settings = settings or SimulatorSettings()
    simulator = WhatsAppSimulator(settings, webhook_client, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await simulator.close()

    app = FastAPI(title="Tasklane WhatsApp Cloud API simulator", version="0.2.0", lifespan=lifespan)
    app.state.simulator = simulator
    app.add_middleware(RecordingMiddleware, simulator=simulator)

    @app.post("/{version}/{phone_number_id}/messages")
    async def messages(version: str, phone_number_id: str, request: Request) -> Response:
        if not _VERSION.match(version):
            return _bad_version("/messages")
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return JSONResponse(graph_error(100, details="Request body is not valid JSON"), status_code=400)
        answer = simulator.handle_messages(phone_number_id, request.headers.get("authorization"), body)
        if answer.hang_s is not None:
            await _hang(request, answer.hang_s)
        if settings.response_delay_s > 0:
            await asyncio.sleep(settings.response_delay_s)
        return _respond(answer)

    add_controls(app, simulator)

    @app.get("/{version}/{phone_number_id}")
    async def phone_number(
        version: str, phone_number_id: str, request: Request, fields: Annotated[str | None, Query()] = None
    ) -> Response:
        if not _VERSION.match(version):
            return _bad_version("")
        answer = simulator.handle_phone_number(phone_number_id, request.headers.get("authorization"), fields)
        return _respond(answer)

    return app


def _bad_version(path: str) -> JSONResponse:
    return JSONResponse(
        graph_error(100, f"Unknown path components: {path}", type_="OAuthException"), status_code=400
    )


def _respond(answer: GraphAnswer) -> Response:
    if isinstance(answer.body, str):
        return PlainTextResponse(answer.body, status_code=answer.status)
    return JSONResponse(answer.body, status_code=answer.status)


async def _hang(request: Request, seconds: float) -> None:
    """An injected timeout: hang, then fail without an answer. A client that gives up first
    disconnects (a real server tells us); an in-process client (httpx's ASGI transport, which
    applies no timeout) gets the ``httpx.ReadTimeout`` its own timeout would have raised."""
    try:
        message = await asyncio.wait_for(request.receive(), timeout=seconds)
    except TimeoutError:
        message = None
    if message is not None and message.get("type") == "http.disconnect":
        return
    raise httpx.ReadTimeout("simulated Graph API timeout: the request hung and got no answer")


def add_controls(app: FastAPI, simulator: WhatsAppSimulator) -> None:
    """The ``/__sim`` endpoints tests, the demo and the benchmark drive the simulator with."""

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

    @app.get("/__sim/attempts")
    async def list_attempts() -> list[dict[str, Any]]:
        return [a.to_dict() for a in simulator.attempts()]

    @app.get("/__sim/duplicates")
    async def list_duplicates() -> list[dict[str, Any]]:
        return [d.to_dict() for d in simulator.duplicates()]

    @app.get("/__sim/webhooks")
    async def list_webhooks() -> list[dict[str, Any]]:
        return [d.to_dict() for d in simulator.webhook_deliveries()]

    @app.post("/__sim/inbound")
    async def inbound(payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        """``{"from", "text", "name"?, "phone_number_id"?}`` or ``{"payload": <webhook body>}``."""
        try:
            if isinstance(payload.get("payload"), dict):
                status = await simulator.inject_webhook(payload["payload"])
                return JSONResponse({"gateway_status": status})
            from_, text = payload.get("from"), payload.get("text")
            if not isinstance(from_, str) or not isinstance(text, str):
                return _invalid("'from' and 'text' are required strings (or a 'payload' object)")
            result = await simulator.inject_text(
                from_,
                text,
                name=str(payload.get("name") or "Test User"),
                phone_number_id=_opt_str(payload.get("phone_number_id")),
            )
        except ValueError as exc:
            return _invalid(str(exc))
        except httpx.HTTPError as exc:
            return JSONResponse({"error": f"webhook delivery failed: {type(exc).__name__}"}, status_code=502)
        return JSONResponse({"wamid": result.wamid, "gateway_status": result.status_code})

    @app.post("/__sim/window")
    async def window(payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        """``{"wa_id", "phone_number_id"?, "at"?}``: open a customer-service window."""
        wa_id = payload.get("wa_id")
        at = payload.get("at")
        if not isinstance(wa_id, str) or not (at is None or isinstance(at, int | float)):
            return _invalid("'wa_id' is a required string and 'at' a Unix time")
        simulator.open_window(wa_id, phone_number_id=_opt_str(payload.get("phone_number_id")), at=at)
        return JSONResponse({"opened": True})

    @app.get("/__sim/faults")
    async def get_faults() -> dict[str, Any]:
        return simulator.fault_config()

    @app.delete("/__sim/faults")
    async def clear_faults() -> dict[str, Any]:
        simulator.clear_faults()
        return simulator.fault_config()

    @app.post("/__sim/faults")
    async def faults(payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        """Any of: ``{"count": n, "code": 131000, "status": 503, "details"}`` (fail the next n
        calls), ``{"rates": {"5xx": 0.3, ...}, "seed": 7, "timeout_s": 0.5}``,
        ``{"storm": {"kind": "130429", "seconds": 5, "phone_number_id"?}}``."""
        try:
            if "rates" in payload or "seed" in payload or "timeout_s" in payload:
                rates = payload.get("rates", simulator.faults.rates)
                if not isinstance(rates, dict):
                    raise ValueError("'rates' is an object of kind -> probability")
                simulator.set_faults(
                    rates,
                    seed=None if payload.get("seed") is None else int(payload["seed"]),
                    timeout_s=None if payload.get("timeout_s") is None else float(payload["timeout_s"]),
                )
            if isinstance(payload.get("storm"), dict):
                storm = payload["storm"]
                simulator.storm(
                    str(storm.get("kind", "130429")),
                    float(storm.get("seconds", 0)),
                    phone_number_id=_opt_str(storm.get("phone_number_id")),
                )
            if {"count", "code", "status"} & payload.keys():
                code, status = payload.get("code", 131000), payload.get("status")
                simulator.fail_next(
                    int(payload.get("count", 1)),
                    None if code is None else int(code),
                    status=None if status is None else int(status),
                    details=_opt_str(payload.get("details")),
                )
        except (ValueError, TypeError) as exc:
            return _invalid(str(exc))
        return JSONResponse(simulator.fault_config())

    @app.get("/__sim/limits")
    async def limits() -> dict[str, Any]:
        return {
            "config": simulator.limiter.config.to_dict(),
            "violations": [v.to_dict() for v in simulator.limit_violations()],
            "rejections": simulator.limit_rejections(),
        }

    @app.post("/__sim/limits")
    async def configure_limits(payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        """Fields of ``LimitConfig``: ``limits``/``window`` (``enforce``/``off``), ``throughput_per_s``,
        ``per_number``, ``pair_interval_s``, ``pair_burst``, ``window_s``."""
        try:
            config = simulator.configure_limits(**payload)
        except (ValueError, TypeError) as exc:
            return _invalid(str(exc))
        return JSONResponse(config.to_dict())

    @app.post("/__sim/statuses")
    async def statuses(payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        """``{"enabled": false}`` stops the sent/delivered/read webhooks after accepted sends
        (a benchmark of the sender alone); ``true`` resumes them."""
        enabled = payload.get("enabled")
        if not isinstance(enabled, bool):
            return _invalid("'enabled' must be true or false")
        simulator.settings.send_statuses = enabled
        return JSONResponse({"enabled": enabled})

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}


def _invalid(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=422)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
