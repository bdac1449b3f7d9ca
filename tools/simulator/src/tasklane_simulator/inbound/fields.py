"""Webhook fields other than ``messages``: account, template, quality, preference... updates.

Each sample is the ``value`` of one ``changes[]`` item as Meta documents it for that field; the
gateway passes such changes on as ``whatsapp.notification`` events without interpreting them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tasklane_simulator.inbound.messages import ANA, envelope, metadata, now, user_wamid
from tasklane_simulator.payloads import DEFAULT_DISPLAY_NUMBER, DEFAULT_PHONE_NUMBER_ID, DEFAULT_WABA_ID


def account_update() -> dict[str, Any]:
    return {"phone_number": DEFAULT_DISPLAY_NUMBER, "event": "VERIFIED_ACCOUNT"}


def message_template_status_update() -> dict[str, Any]:
    return {
        "event": "APPROVED",
        "message_template_id": 1689556908129832,
        "message_template_name": "task_reminder",
        "message_template_language": "en_US",
        "reason": "NONE",
    }


def phone_number_quality_update() -> dict[str, Any]:
    return {"display_phone_number": DEFAULT_DISPLAY_NUMBER, "event": "FLAGGED", "current_limit": "TIER_10K"}


def business_capability_update() -> dict[str, Any]:
    return {"max_daily_conversation_per_phone": 1000, "max_phone_numbers_per_business": 2}


def account_alerts() -> dict[str, Any]:
    return {
        "entity_type": "WABA",
        "entity_id": DEFAULT_WABA_ID,
        "alert_info": {
            "alert_severity": "WARNING",
            "alert_status": "ACTIVE",
            "alert_type": "OBA_APPROVED",
            "alert_description": "Your request for an Official Business Account was approved.",
        },
    }


def template_category_update() -> dict[str, Any]:
    return {
        "message_template_id": 1689556908129832,
        "message_template_name": "task_reminder",
        "message_template_language": "en_US",
        "previous_category": "UTILITY",
        "new_category": "MARKETING",
    }


def user_preferences() -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata(DEFAULT_PHONE_NUMBER_ID, DEFAULT_DISPLAY_NUMBER),
        "contacts": [ANA.contact()],
        "user_preferences": [
            {
                "wa_id": ANA.wa_id,
                "detail": "User requested to stop marketing messages",
                "category": "marketing_messages",
                "value": "stop",
                "timestamp": int(now()),
            }
        ],
    }


def security() -> dict[str, Any]:
    return {"display_phone_number": DEFAULT_DISPLAY_NUMBER, "event": "PIN_CHANGED", "requester": "1002003004"}


def history() -> dict[str, Any]:
    """Coexistence: the chat history of a number onboarded from the WhatsApp Business app."""
    message = {
        "from": ANA.wa_id,
        "id": user_wamid(ANA.wa_id),
        "timestamp": now(),
        "type": "text",
        "text": {"body": "see you tomorrow"},
        "history_context": {"status": "READ"},
    }
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata(DEFAULT_PHONE_NUMBER_ID, DEFAULT_DISPLAY_NUMBER),
        "history": [
            {
                "metadata": {"phase": 0, "chunk_order": 1, "progress": 100},
                "threads": [{"id": ANA.wa_id, "messages": [message]}],
            }
        ],
    }


def smb_message_echoes() -> dict[str, Any]:
    """Coexistence: a message the business sent from the WhatsApp Business app."""
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata(DEFAULT_PHONE_NUMBER_ID, DEFAULT_DISPLAY_NUMBER),
        "message_echoes": [
            {
                "from": DEFAULT_DISPLAY_NUMBER,
                "to": ANA.wa_id,
                "id": user_wamid(DEFAULT_DISPLAY_NUMBER),
                "timestamp": now(),
                "type": "text",
                "text": {"body": "Your order ships today."},
            }
        ],
    }


def future_field() -> dict[str, Any]:
    """A field Meta may add tomorrow: the gateway must pass it on all the same."""
    return {"event": "SOMETHING_NEW", "details": {"nested": [1, 2, {"deeper": True}]}}


OTHER_FIELDS: dict[str, Callable[[], dict[str, Any]]] = {
    "account_update": account_update,
    "message_template_status_update": message_template_status_update,
    "phone_number_quality_update": phone_number_quality_update,
    "business_capability_update": business_capability_update,
    "account_alerts": account_alerts,
    "template_category_update": template_category_update,
    "user_preferences": user_preferences,
    "security": security,
    "history": history,
    "smb_message_echoes": smb_message_echoes,
    "some_future_field": future_field,
}


def field_change(field: str, value: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``changes[]`` item of ``field``, with its sample value unless ``value`` is given."""
    return {"field": field, "value": value if value is not None else OTHER_FIELDS[field]()}


def field_webhook(
    field: str, value: dict[str, Any] | None = None, *, waba_id: str = DEFAULT_WABA_ID
) -> dict[str, Any]:
    return envelope([field_change(field, value)], waba_id)
