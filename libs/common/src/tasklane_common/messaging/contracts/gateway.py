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
    # --- added with issue 3 (all optional: older consumers ignore them) ---
    # Meta's business-scoped user id ("US.1349..."), its parent, and the user's @username.
    bsuid: str | None = None
    parent_bsuid: str | None = None
    username: str | None = None
    # {"from", "id", "forwarded", "frequently_forwarded", "referred_product"}: replies and forwards.
    context: dict[str, Any] | None = None
    # Click-to-WhatsApp ad entry: source_url, source_id, source_type, headline, body, ctwa_clid...
    referral: dict[str, Any] | None = None
    # image/audio/video/document/sticker: {"id", "mime_type", "sha256", "caption", "filename",
    # "voice", "animated", "url"} (only the keys Meta sent).
    media: dict[str, Any] | None = None
    # {"latitude", "longitude", "name", "address", "url"}
    location: dict[str, Any] | None = None
    # {"message_id", "emoji", "removed"}; removed is True when the user took the reaction back.
    reaction: dict[str, Any] | None = None
    # Shared contact cards as Meta sent them.
    contacts: list[dict[str, Any]] = Field(default_factory=list)
    # {"catalog_id", "text", "product_items": [...]}
    order: dict[str, Any] | None = None
    # {"type", "body", "wa_id", "customer"...}; e.g. user_changed_number with the new wa_id.
    system: dict[str, Any] | None = None
    # Meta's errors on an ``unsupported`` message (code 131051...).
    errors: list[dict[str, Any]] = Field(default_factory=list)
    # For ``interactive`` replies: button_reply, list_reply, nfm_reply...
    interactive_type: str | None = None


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
    # --- added with issue 3 ---
    conversation: dict[str, Any] | None = None
    recipient_type: str | None = None
    # Business-scoped id of the recipient when Meta sends one.
    recipient_bsuid: str | None = None


class UserUnregistered(Event):
    """A number (or business-scoped id) with no mapping wrote to us; it was sent one registration
    reply at most once per 24 hours. ``wa_id`` holds the BSUID when Meta omitted the number."""

    event_type = "user.unregistered"

    phone_number_id: str
    wa_id: str
    wamid: str | None = None
    bsuid: str | None = None
    profile_name: str | None = None
    prompted: bool = False


class MessageThrottled(Event):
    """A user's message over the per-user inbound rate limit: stored and acknowledged, not
    processed."""

    event_type = "message.throttled"

    wamid: str
    phone_number_id: str
    user_id: str
    received_at: datetime
    limit_per_minute: int


class MessageExpired(Event):
    """A message first seen after Meta's retry horizon (it was sent days ago, during an outage):
    stored and acknowledged, never acted on. No text: analytics counts it."""

    event_type = "message.expired"

    wamid: str
    phone_number_id: str
    message_type: str
    sent_at: datetime
    received_at: datetime


class UserNumberChanged(Event):
    """Meta's ``user_changed_number`` system message: the mapping now follows the new number."""

    event_type = "user.number_changed"

    user_id: str
    phone_number_id: str
    old_wa_id: str
    new_wa_id: str


class WhatsAppNotification(Event):
    """A webhook change of a field other than ``messages`` (account_update,
    message_template_status_update, phone_number_quality_update, ...), passed on as Meta sent it."""

    event_type = "whatsapp.notification"

    field: str
    waba_id: str | None = None
    value: dict[str, Any] = Field(default_factory=dict)
    received_at: datetime


class NumberConfigured(Event):
    """A business phone number was added, changed or removed in the gateway's integrations.

    The access token never travels in clear: ``access_token_encrypted`` is sealed with the shared
    secrets key (``tasklane_common.secrets``, associated data ``phone_number_id``). ``version``
    grows with every change, so a consumer keeps the newest whatever the delivery order."""

    event_type = "integration.number_configured"

    phone_number_id: str
    app_id: str
    waba_id: str | None = None
    display_phone_number: str | None = None
    access_token_encrypted: str | None = None
    # active | disabled | deleted
    state: str = "active"
    version: int
    # Per-number throughput limit (messages/second) if it differs from the sender's default.
    throughput_per_s: int | None = None
