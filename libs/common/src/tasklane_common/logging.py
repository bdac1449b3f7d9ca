"""structlog JSON logging with trace ids and masked phone numbers."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

from tasklane_common.settings import LoggingSettings

# Keys whose values are phone numbers or WhatsApp ids; masked wherever they appear in an event.
PHONE_KEYS = frozenset({"phone", "wa_id", "from_", "from", "to", "recipient", "recipient_id", "msisdn"})
SECRET_KEYS = frozenset({"secret", "token", "password", "authorization", "app_secret", "access_token"})
_LONG_DIGITS = re.compile(r"(?<![\w.])\+?(\d{3})\d{4,}(\d{2})(?!\w)")


def mask_phone(value: str) -> str:
    """Keep the country-code-ish prefix and the last two digits: enough to correlate, not dial."""
    digits = value.lstrip("+")
    if len(digits) < 6 or not digits.isdigit():
        return value if len(value) < 6 else value[:2] + "***"
    return f"{'+' if value.startswith('+') else ''}{digits[:3]}****{digits[-2:]}"


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _LONG_DIGITS.sub(lambda m: f"{m.group(1)}****{m.group(2)}", value)
    return value


def redact_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        lowered = key.lower()
        value = event_dict[key]
        if lowered in PHONE_KEYS and isinstance(value, str):
            event_dict[key] = mask_phone(value)
        elif any(s in lowered for s in SECRET_KEYS):
            event_dict[key] = "***"
        else:
            event_dict[key] = _scrub(value)
    return event_dict


def trace_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict["trace_id"] = format(ctx.trace_id, "032x")
        event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict


class _Stderr:
    """Resolves ``sys.stderr`` at each write, so redirecting it later (tests, daemons) works."""

    def write(self, data: str) -> int:
        return sys.stderr.write(data)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(settings: LoggingSettings) -> None:
    """Idempotent: the embedded mode runs four services in one process and calls this four times."""
    level = logging.getLevelNamesMapping().get(settings.level.upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            trace_processor,
            redact_processor,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A logger whose events carry ``logger=<name>``; services pass their package name."""
    # Initial values stay lazy: binding now would freeze the configuration in force at import.
    return structlog.get_logger(logger_name=name)
