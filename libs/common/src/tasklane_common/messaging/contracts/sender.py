"""Events published by the sender."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tasklane_common.messaging.envelope import Event


class _Outbound(Event):
    reply_id: str
    wamid: str | None = None
    phone_number_id: str
    to: str
    at: datetime
    # --- added with issue 15 (optional: older consumers ignore it) ---
    # The WhatsApp message type sent (``text``, ``template``, ``interactive``...): analytics tells
    # template sends from free-form ones.
    kind: str | None = None


class MessageSent(_Outbound):
    event_type = "message.sent"


class MessageDelivered(_Outbound):
    event_type = "message.delivered"


class MessageRead(_Outbound):
    event_type = "message.read"


class MessageFailed(_Outbound):
    event_type = "message.failed"

    error_code: int | None = None
    reason: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


class SenderAlert(Event):
    """Something an operator must act on, e.g. a number paused after an authentication error
    (code 190: the access token expired). ``severity`` is ``critical`` or ``warning``."""

    event_type = "sender.alert"

    severity: str
    alert: str
    phone_number_id: str | None = None
    error_code: int | None = None
    reason: str
    at: datetime
