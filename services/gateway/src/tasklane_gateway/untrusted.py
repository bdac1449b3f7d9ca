"""Reading values out of a signed but untrusted webhook body, never raising.

Meta's shapes vary with API versions and message types, and the body goes on into events (JSON),
logs and other services' PostgreSQL rows. Everything the gateway keeps passes through here: strings
lose NUL (PostgreSQL refuses it) and lone surrogates (JSON allows ``\\ud800``, UTF-8 does not),
numbers stay encodable, nesting stays bounded.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from tasklane_common.logging import get_logger

log = get_logger(__name__)

# Identifiers longer than this are not Meta's (a wamid is ~60 characters, a BSUID at most ~131).
MAX_ID_LENGTH = 256
MAX_NAME_LENGTH = 256
# Meta's objects nest a handful of levels; the event wraps them a few levels deeper and the JSON
# encoders give up near 255. Anything deeper than this is not Meta's and is dropped.
MAX_RAW_DEPTH = 32
# orjson (the events' encoder) handles 64-bit integers; wider ones are kept as their digits.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


class TooDeep(ValueError):
    """A value nested deeper than MAX_RAW_DEPTH."""


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A string safe to store and serialise, or None if ``value`` is not a string."""
    if not isinstance(value, str):
        return None
    out: str = value.replace("\x00", "") if "\x00" in value else value
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        out = out.encode("utf-8", "replace").decode("utf-8")
    return out


def ident(value: Any) -> str | None:
    """An identifier: a short printable string (numbers are accepted and turned into text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    # isprintable() also rejects control characters and lone surrogates.
    return value if 0 < len(value) <= MAX_ID_LENGTH and value.isprintable() else None


# Who can send a message: a wa_id is digits; a business-scoped user id is a country code, a dot and
# letters or digits ("US.13491208655302741918"). Anything else, such as the placeholder
# "<WHATSAPP_USER_PHONE_NUMBER>" of Meta's sample payloads, names nobody we could answer.
_SENDER = re.compile(r"\d+|[A-Z]{2}\.[A-Za-z0-9]+")  # lengths: ``ident``


def sender_id(value: Any) -> str | None:
    """``ident`` for a message's sender: None unless it is a wa_id or a business-scoped id."""
    found = ident(value)
    return found if found is not None and _SENDER.fullmatch(found) else None


def name(value: Any) -> str | None:
    found = text(value)
    return found[:MAX_NAME_LENGTH] if found else None


def printable(value: Any) -> str | None:
    """For logs only: a short, harmless rendering of an untrusted value."""
    return None if value is None else repr(value)[:80]


def timestamp(value: Any, fallback: datetime) -> datetime:
    # Meta sends Unix seconds as a string; an unreadable one must not cost us the item.
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


def clean(value: Any, level: int = 1) -> Any:
    """A JSON-safe deep copy of a value decoded by ``json.loads``. Raises TooDeep."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else str(value)
    if isinstance(value, float):
        # json.loads reads 1e999 as inf and accepts NaN: neither is JSON.
        return value if math.isfinite(value) else None
    if level > MAX_RAW_DEPTH:
        raise TooDeep("nested too deeply")
    if isinstance(value, dict):
        return {_key(k): clean(v, level + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, level + 1) for v in value]
    return None


def _key(key: Any) -> str:
    return text(key if isinstance(key, str) else str(key)) or ""


def json_object(value: Any, wamid: str) -> dict[str, Any]:
    """``value`` cleaned if it is an object, else ``{}``. An auxiliary object nested absurdly deep
    is dropped (logged): it must not cost the item itself."""
    if not isinstance(value, dict):
        return {}
    try:
        out: dict[str, Any] = clean(value)
    except TooDeep:
        log.warning("webhook_raw_dropped", wamid=wamid, reason="nested too deeply")
        return {}
    return out


def optional_object(value: Any, wamid: str) -> dict[str, Any] | None:
    return json_object(value, wamid) if isinstance(value, dict) else None


def object_list(value: Any, wamid: str) -> list[dict[str, Any]]:
    """The objects of a list, cleaned; anything else in it is left out."""
    return [json_object(item, wamid) for item in as_list(value) if isinstance(item, dict)]
