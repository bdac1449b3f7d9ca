"""When an event's fact happened: the hour every figure counts it in.

Not the hour the event arrived: a status webhook Meta retried for an hour, or a message replayed
from dead letters a day later, still counts when it happened, as the producer stamped it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tasklane_common.messaging import Envelope

# The moment of each type's fact, when its payload carries one.
_MOMENT_FIELD = {
    "message.received": "received_at",
    "message.sent": "at",
    "message.delivered": "at",
    "message.read": "at",
    "message.failed": "at",
    "status.received": "status_at",
    "message.throttled": "received_at",
    "message.expired": "received_at",
    "sender.alert": "at",
}


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def moment(envelope: Envelope) -> int:
    """Epoch milliseconds of when ``envelope``'s fact happened (the envelope's time by default)."""
    name = _MOMENT_FIELD.get(envelope.type)
    at = parse_time(envelope.payload.get(name)) if name else None
    return int((at or envelope.occurred_at).timestamp() * 1000)
