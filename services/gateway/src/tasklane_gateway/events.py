"""The events the gateway publishes for webhook items, with deterministic ids.

An id derives from what Meta sent (wamid, status, notification digest), never from when it arrived:
Meta's retry of an item that was published but not committed yields the same id, and the consumers'
inboxes drop the copy.
"""

from __future__ import annotations

from datetime import datetime

from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived, StatusReceived, WhatsAppNotification
from tasklane_gateway.webhook import InboundMessage, InboundNotification, InboundStatus

PRODUCER = "gateway"


def message_envelope(message: InboundMessage, user_id: str, received_at: datetime) -> Envelope:
    event = MessageReceived(
        wamid=message.wamid,
        phone_number_id=message.phone_number_id,
        display_phone_number=message.display_phone_number,
        user_id=user_id,
        wa_id=message.wa_id,
        profile_name=message.profile_name,
        message_type=message.message_type,
        text=message.text,
        reply_id=message.reply_id,
        context_wamid=message.context_wamid,
        sent_at=message.sent_at,
        received_at=received_at,
        raw=message.raw,
        bsuid=message.bsuid,
        parent_bsuid=message.parent_bsuid,
        username=message.username,
        context=message.context,
        referral=message.referral,
        media=message.media,
        location=message.location,
        reaction=message.reaction,
        contacts=message.contacts,
        order=message.order,
        system=message.system,
        errors=message.errors,
        interactive_type=message.interactive_type,
    )
    # The event id is the conversation turn's correlation id too (new_envelope's default).
    return new_envelope(
        event,
        producer=PRODUCER,
        event_id=deterministic_id("message.received", message.wamid),
        occurred_at=received_at,
    )


def status_envelope(status: InboundStatus, received_at: datetime) -> Envelope:
    event = StatusReceived(
        wamid=status.wamid,
        status=status.status,
        phone_number_id=status.phone_number_id,
        recipient_id=status.recipient_id,
        status_at=status.status_at,
        errors=status.errors,
        pricing=status.pricing,
        biz_opaque_callback_data=status.biz_opaque_callback_data,
        conversation=status.conversation,
        recipient_type=status.recipient_type,
        recipient_bsuid=status.recipient_bsuid,
    )
    return new_envelope(
        event,
        producer=PRODUCER,
        event_id=deterministic_id("status.received", status.wamid, status.status),
        occurred_at=received_at,
    )


def notification_envelope(notification: InboundNotification, received_at: datetime) -> Envelope:
    event = WhatsAppNotification(
        field=notification.field,
        waba_id=notification.waba_id,
        value=notification.value,
        received_at=received_at,
    )
    return new_envelope(
        event,
        producer=PRODUCER,
        event_id=deterministic_id("whatsapp.notification", notification.digest),
        occurred_at=received_at,
    )
