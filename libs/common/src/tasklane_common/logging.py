"""structlog JSON logging with trace ids and masked phone numbers."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

from tasklane_common.settings import LoggingSettings

# Keys whose values are phone numbers or WhatsApp ids; masked wherever they appear in an event.
PHONE_KEYS = frozenset({"phone", "wa_id", "from_", "from", "to", "recipient", "recipient_id", "msisdn"})
# Substrings of keys whose values are never logged.
SECRET_KEYS = (
    "secret",
    "token",
    "password",
    "passwd",
    "authorization",
    "api_key",
    "apikey",
    "dsn",
    "signature",
    "cookie",
    "credential",
)
_LONG_DIGITS = re.compile(r"(?<![\w.])\+?(\d{3})\d{4,}(\d{2})(?!\w)")
# user:password@ in URLs (amqp://, postgresql+asyncpg://, https://...).
# The look-behind starts a match only where a scheme can start: without it a long word costs
# quadratic time.
_URL_CREDENTIALS = re.compile(
    r"(?<![a-z0-9+.-])(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):[^@/\s]+@", re.I
)
# Credentials inside free text (an exception's message, a traceback, a library's log line, a URL):
# everything after an Authorization (or Cookie) header's name or after the word Bearer, up to the
# end of the value, because a malformed token may hold spaces or quotes of its own; the value of a
# key=value or "key": "value" pair whose key names a secret; and a Meta access token on its own
# (they start with EAA). Applied to every string of every event, so the rule holds whatever a
# library or an exception chose to write.
# The rest of the line, and what follows a line break without indentation: a header value cannot
# span lines, so that is the tail of a pasted token that had a line break in it.
_REST_OF_VALUE = r"[^\r\n]*(?:\r?\n[^\s'\"]*)?"
_HEADER_CREDENTIALS = re.compile(
    r"(?P<name>\b(?:proxy-)?authorization|\bset-cookie|\bcookie)(?P<sep>['\"]?\s*[:=]\s*)" + _REST_OF_VALUE,
    re.I,
)
_BEARER = re.compile(r"(?P<name>\bbearer)\s+" + _REST_OF_VALUE, re.I)
_KEYED_SECRET = re.compile(
    r"(?P<key>(?<![\w-])[\w-]*(?:"
    + "|".join(map(re.escape, SECRET_KEYS))
    + r")[\w-]*)(?P<sep>['\"]?\s*[:=]\s*)"
    r"(?P<value>'[^'\r\n]*'?|\"[^\"\r\n]*\"?|[^\s&,;'\")\]}]+)",
    re.I,
)
_META_TOKEN = re.compile(r"\bEAA[A-Za-z0-9]{16,}")
_MAX_DEPTH = 8
# ProcessorFormatter's own keys while a library's record is formatted: not log content.
_META_KEYS = frozenset({"_record", "_from_structlog"})


def mask_phone(value: str) -> str:
    """Keep the country-code-ish prefix and the last two digits: enough to correlate, not dial."""
    digits = value.lstrip("+")
    if len(digits) < 6 or not digits.isdigit():
        return value if len(value) < 6 else value[:2] + "***"
    return f"{'+' if value.startswith('+') else ''}{digits[:3]}****{digits[-2:]}"


def _masked_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[0] in "'\"" else ""
    return f"{match.group('key')}{match.group('sep')}{quote}***{quote}"


def scrub_text(value: str) -> str:
    """``value`` with credentials and phone numbers masked: for any text bound for a log."""
    if "://" in value:
        value = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", value)
    lowered = value.lower()
    # The cheap test first: most log text names no credential at all.
    if any(word in lowered for word in SECRET_KEYS) or "bearer" in lowered:
        value = _HEADER_CREDENTIALS.sub(lambda m: f"{m.group('name')}{m.group('sep')}***", value)
        value = _BEARER.sub(lambda m: f"{m.group('name')} ***", value)
        value = _KEYED_SECRET.sub(_masked_value, value)
    if "EAA" in value:
        value = _META_TOKEN.sub("EAA***", value)
    return _LONG_DIGITS.sub(lambda m: f"{m.group(1)}****{m.group(2)}", value)


def _redact(key: str | None, value: Any, depth: int = 0) -> Any:
    """Redact ``value`` (found under ``key``), walking into dicts and lists."""
    lowered = key.lower() if key else ""
    if lowered and any(s in lowered for s in SECRET_KEYS):
        return "***"
    if lowered in PHONE_KEYS and isinstance(value, str | int) and not isinstance(value, bool):
        return mask_phone(str(value))
    if depth >= _MAX_DEPTH:
        return value if isinstance(value, int | float | bool) or value is None else "…"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _redact(str(k), v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact(None, v, depth + 1) for v in value]
    if value is None or isinstance(value, int | float | bool):
        return value
    # Any other object (an exception, a request, a URL) would be rendered by its repr, which can
    # hold a credential: render it here, where it is scrubbed.
    return scrub_text(repr(value))


def redact_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key not in _META_KEYS:
            event_dict[key] = _redact(key, event_dict[key])
    return event_dict


def logger_name_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """One key for the emitting module, whether it logs through structlog or the stdlib."""
    if "logger_name" in event_dict:
        event_dict["logger"] = event_dict.pop("logger_name")
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
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        logger_name_processor,
        trace_processor,
        # Tracebacks become text before redaction, so numbers and secrets in them are masked too.
        structlog.processors.format_exc_info,
        redact_processor,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # Libraries log through the standard library (aiormq, SQLAlchemy, uvicorn): same format, same
    # redaction, same stream.
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_tasklane", False)]
    handler._tasklane = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # Libraries' INFO chatter stays out; their warnings and errors come through.
    root.setLevel(max(level, logging.WARNING))


def get_logger(name: str) -> Any:
    """A logger whose events carry ``logger=<name>``; services pass their package name."""
    # Initial values stay lazy: binding now would freeze the configuration in force at import.
    return structlog.get_logger(logger_name=name)


class LogThrottle:
    """At most one line per key and interval, for what an outsider can make us log at will (a
    stranger probing an unknown app id, a client hanging up): one noisy peer must not drown the
    log. ``allow`` says whether to log now and how many lines were held back since the last one,
    which the line should carry. The keys kept are bounded: the oldest are forgotten first."""

    def __init__(
        self, interval_s: float = 60.0, *, max_keys: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval_s
        self._max_keys = max_keys
        self._clock = clock
        # key -> (when the last line was logged, lines held back since).
        self._seen: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()

    def allow(self, key: Hashable) -> int | None:
        """None to stay quiet; else the number of lines held back for ``key`` (log it now)."""
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self._interval:
            self._seen[key] = (last[0], last[1] + 1)
            return None
        self._seen[key] = (now, 0)
        self._seen.move_to_end(key)
        while len(self._seen) > self._max_keys:
            self._seen.popitem(last=False)
        return 0 if last is None else last[1]

    def __len__(self) -> int:
        return len(self._seen)
