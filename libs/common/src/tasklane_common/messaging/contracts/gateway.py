"""Events published by the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tasklane_common.messaging.envelope import Event


class MessageReceived(Event):
    """A user's WhatsApp message, normalised. ``id`` of the envelope derives from the wamid."""

    event_type = "message.received"

    wamid: str
    phone_number_id: str
    display_phone_number: str | None = None
    user_id: str
    wa_id: str | None = None
    profile_name: str | None = None
    message_type: str
    text: str | None = None
    # For interactive replies: the id of the button or list row the user picked.
    reply_id: str | None = None
    context_wamid: str | None = None
    sent_at: datetime
    received_at: datetime
    raw: dict[str, Any] = Field(default_factory=dict)


class StatusReceived(Event):
    """A delivery status of a message we sent (sent, delivered, read, failed, played)."""

    event_type = "status.received"

    wamid: str
    status: str
    phone_number_id: str
    recipient_id: str | None = None
    status_at: datetime
    errors: list[dict[str, Any]] = Field(default_factory=list)
    pricing: dict[str, Any] | None = None
    biz_opaque_callback_data: str | None = None


class UserUnregistered(Event):
    event_type = "user.unregistered"

    phone_number_id: str
    wa_id: str
