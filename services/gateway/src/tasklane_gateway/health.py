"""The gateway's health in the HealthStatus shape.

``GET /api/webhooks/whatsapp/health`` is unauthenticated (load balancers, uptime checks and Meta
call it) and says only the status and the time: counts, rates and latencies would tell an
outsider how busy the number is and how it fails. ``GET /api/v1/gateway/health`` (analyst key)
has the whole report, which names no app, number, key or URL either. Both answer 200 while
``healthy`` or ``degraded``, 503 when ``unhealthy`` (the database or the broker is unreachable,
or the service is not running).

Checks:
- ``database``: a ``SELECT 1`` and its latency (slow: degraded; failing: unhealthy).
- ``message_queue``: the broker connection, and the outbox rows not yet relayed (a backlog that
  keeps growing means events are late: degraded).
- ``circuit_breakers``: the gateway's breakers around its Graph API calls (admin test
  connections), one per phone number; any open: degraded. The webhook path calls no remote API.
- ``cache``: the in-memory copies (integrations, and any cache registered by other modules).
- ``error_rate``: webhook POSTs answered 5xx over the last 5 minutes (Meta retries those).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_gateway.settings import GatewaySettings

HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
_ORDER = {HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2}
WEBHOOK_PATH = "/api/webhooks/whatsapp"
WINDOW_S = 300
_BUCKET_S = 10
# Below this many requests in the window, a few errors say little: the rate is reported only.
_MIN_REQUESTS = 20
_SLOW_DB_MS = 1000.0
_OUTBOX_BACKLOG = 1000

try:
    VERSION = version("tasklane-gateway")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    VERSION = "0.0.0"


class WebhookStats:
    """Webhook POST outcomes in 10 s buckets over the last 5 minutes (bounded memory at any rate)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int, list[int]] = {}

    def record(self, status: int) -> None:
        bucket = int(self._clock() // _BUCKET_S)
        counts = self._buckets.setdefault(bucket, [0, 0])
        counts[0] += 1
        if status >= 500:
            counts[1] += 1
        if len(self._buckets) > WINDOW_S // _BUCKET_S + 2:
            oldest = bucket - WINDOW_S // _BUCKET_S
            for key in [k for k in self._buckets if k < oldest]:
                del self._buckets[key]

    def window(self) -> tuple[int, int]:
        oldest = int(self._clock() // _BUCKET_S) - WINDOW_S // _BUCKET_S
        live = [c for k, c in self._buckets.items() if k > oldest]
        return sum(c[0] for c in live), sum(c[1] for c in live)


# What is told of each webhook POST's answer: its status and how long it took.
WebhookObserver = Callable[[int, float], None]


class WebhookAnswers:
    """Watches every webhook POST, whatever answered it (a 413 from a limit, a crash's 500), once,
    and tells each observer (the health window, the metrics)."""

    def __init__(self, app: ASGIApp, observers: Sequence[WebhookObserver]) -> None:
        self.app = app
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(WEBHOOK_PATH):
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            for observe in self.observers:
                observe(status, seconds)


def _worst(*states: str) -> str:
    return max(states, key=lambda s: _ORDER[s], default=HEALTHY)


class HealthMonitor:
    def __init__(self, runtime: ServiceRuntime, settings: GatewaySettings, stats: WebhookStats) -> None:
        self.runtime = runtime
        self.settings = settings
        self.stats = stats
        # name -> a callable returning a dict with at least "status" (healthy|degraded|unhealthy).
        self.caches: dict[str, Callable[[], dict[str, Any]]] = {}
        self.breakers: Callable[[], dict[str, str]] = dict

    async def _database(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await self.runtime.db.ping(timeout=3.0)
        except Exception as exc:
            return {"status": UNHEALTHY, "error": type(exc).__name__}
        latency = round((time.perf_counter() - started) * 1000, 1)
        return {"status": DEGRADED if latency > _SLOW_DB_MS else HEALTHY, "latency_ms": latency}

    async def _message_queue(self) -> dict[str, Any]:
        connected = self.runtime.broker.is_healthy()
        check: dict[str, Any] = {"status": HEALTHY if connected else UNHEALTHY, "connected": connected}
        outbox = self.runtime.outbox.table if self.runtime.outbox is not None else None
        if outbox is not None:
            try:
                async with asyncio.timeout(3.0), self.runtime.db.read() as session:
                    pending = int(
                        (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
                    )
                check["outbox_pending"] = pending
                if pending > _OUTBOX_BACKLOG and connected:
                    check["status"] = DEGRADED
            except Exception as exc:
                check["outbox_pending"] = None
                check["outbox_error"] = type(exc).__name__
        return check

    def _circuit_breakers(self) -> dict[str, Any]:
        states = self.breakers()
        open_count = sum(1 for s in states.values() if s != "closed")
        return {"status": DEGRADED if open_count else HEALTHY, "total": len(states), "open": open_count}

    def _cache(self) -> dict[str, Any]:
        caches = {}
        for name, probe in self.caches.items():
            try:
                caches[name] = probe()
            except Exception as exc:
                caches[name] = {"status": DEGRADED, "error": type(exc).__name__}
        status = _worst(*(str(c.get("status", HEALTHY)) for c in caches.values()))
        return {"status": status, **caches}

    def _error_rate(self) -> dict[str, Any]:
        total, errors = self.stats.window()
        rate = errors / total if total else 0.0
        threshold = self.settings.health_error_rate_degraded
        degraded = total >= _MIN_REQUESTS and rate > threshold
        return {
            "status": DEGRADED if degraded else HEALTHY,
            "window_s": WINDOW_S,
            "requests": total,
            "errors": errors,
            "rate": round(rate, 4),
            "threshold": threshold,
        }

    async def report(self) -> dict[str, Any]:
        database, queue = await asyncio.gather(self._database(), self._message_queue())
        checks = {
            "database": database,
            "message_queue": queue,
            "circuit_breakers": self._circuit_breakers(),
            "cache": self._cache(),
            "error_rate": self._error_rate(),
        }
        status = _worst(*(c["status"] for c in checks.values()))
        if not self.runtime.running:
            status = UNHEALTHY
        return {
            "status": status,
            "service": self.runtime.service,
            "version": VERSION,
            "uptime_seconds": round(time.monotonic() - self.runtime.started_at, 1),
            "timestamp": datetime.now(UTC).isoformat(),
            "checks": checks,
        }


def router(monitor: HealthMonitor, auth: ApiKeyAuth) -> APIRouter:
    api = APIRouter(tags=["health"])

    @api.get(f"{WEBHOOK_PATH}/health", responses=refusals({503: "Unhealthy."}))
    async def health() -> JSONResponse:
        """The gateway's status only (200 healthy or degraded, 503 unhealthy): the details
        need a key (``/api/v1/gateway/health``)."""
        report = await monitor.report()
        public = {"status": report["status"], "timestamp": report["timestamp"]}
        return JSONResponse(public, status_code=503 if report["status"] == UNHEALTHY else 200)

    @api.get(
        "/api/v1/gateway/health",
        dependencies=[requires(auth, Role.ANALYST)],
        responses=refusals({503: "Unhealthy: the report says why."}),
    )
    async def health_details() -> JSONResponse:
        """The gateway's health (HealthStatus) with every check: 200 healthy or degraded, 503
        unhealthy."""
        report = await monitor.report()
        return JSONResponse(report, status_code=503 if report["status"] == UNHEALTHY else 200)

    return api
