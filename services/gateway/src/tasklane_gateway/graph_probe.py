"""The admin "test connection": one real Graph API call with a number's own access token,
``GET /{version}/{phone_number_id}?fields=display_phone_number,verified_name,quality_rating``.

Each number's calls pass a small circuit breaker: after ``FAIL_MAX`` consecutive outage-type
failures (unreachable, timeout, 5xx) further tests answer at once for ``RESET_S`` seconds, then
one trial goes through. A 4xx is Meta's definite answer (bad token, unknown number), not an
outage. The answer carries Meta's error code and message, never the token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from tasklane_common.logging import get_logger
from tasklane_gateway.settings import GatewaySettings

log = get_logger(__name__)

FIELDS = ("display_phone_number", "verified_name", "quality_rating")
FAIL_MAX = 3
RESET_S = 30.0


@dataclass
class _Breaker:
    failures: int = 0
    opened_at: float | None = None

    def state(self, now: float) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if now - self.opened_at < RESET_S else "half-open"


class GraphProbe:
    def __init__(self, client: httpx.AsyncClient, settings: GatewaySettings) -> None:
        self._client = client
        self._base = settings.graph_base_url.rstrip("/")
        self._version = settings.graph_api_version
        self._timeout = settings.request_timeout_s
        self._breakers: dict[str, _Breaker] = {}

    def breaker_states(self) -> dict[str, str]:
        now = time.monotonic()
        return {number: b.state(now) for number, b in self._breakers.items()}

    async def check(self, phone_number_id: str, token: str) -> dict[str, Any]:
        breaker = self._breakers.setdefault(phone_number_id, _Breaker())
        now = time.monotonic()
        if breaker.state(now) == "open":
            assert breaker.opened_at is not None
            wait = round(RESET_S - (now - breaker.opened_at), 1)
            return _failure(None, f"circuit open after repeated failures; retry in {wait} s", None)
        started = time.perf_counter()
        try:
            response = await self._client.get(
                f"{self._base}/{self._version}/{phone_number_id}",
                params={"fields": ",".join(FIELDS)},
                headers={"authorization": f"Bearer {token}"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            self._failed(breaker, phone_number_id)
            return _failure(None, f"Graph API unreachable ({type(exc).__name__})", _ms(started))
        latency = _ms(started)
        if response.status_code >= 500:
            self._failed(breaker, phone_number_id)
        else:
            breaker.failures, breaker.opened_at = 0, None
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict):
            return {
                "ok": True,
                "status_code": 200,
                "latency_ms": latency,
                **{f: body.get(f) for f in FIELDS},
            }
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        message = str(error.get("message") or f"HTTP {response.status_code}")
        # Mask before cutting: a token straddling the cut would otherwise leave its head visible.
        message = (message.replace(token, "***") if token else message)[:300]
        return _failure(response.status_code, message, latency, code=error.get("code"))

    def _failed(self, breaker: _Breaker, phone_number_id: str) -> None:
        breaker.failures += 1
        if breaker.failures >= FAIL_MAX or breaker.opened_at is not None:
            breaker.opened_at = time.monotonic()
            log.warning(
                "graph_probe_breaker_open", phone_number_id=phone_number_id, failures=breaker.failures
            )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _failure(status: int | None, message: str, latency: float | None, *, code: Any = None) -> dict[str, Any]:
    return {
        "ok": False,
        "status_code": status,
        "latency_ms": latency,
        "error": {"code": code if isinstance(code, int) else None, "message": message},
    }
