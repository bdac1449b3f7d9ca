"""FastAPI's own server spans, configured once for every service: health probes are not traced
(a kubelet probes every few seconds; those traces would bury the ones an operator looks for), nor
is ``/metrics``; and no per-dependency operation spans (cost per request, nothing to read)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig

UNTRACED_PREFIXES = ("/health", "/metrics")


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    path = str(scope.get("path", ""))
    return path.startswith(UNTRACED_PREFIXES)


def http_telemetry() -> TelemetryConfig:
    """``FastAPI(telemetry=http_telemetry())``."""
    return {"exclude": _untraced, "operation_spans": False, "metrics": False, "logs": False}
