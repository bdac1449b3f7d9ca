"""Status webhooks of the messages we sent: sent, delivered, read, failed, played."""

from __future__ import annotations

import secrets
import time
from typing import Any

from tasklane_simulator.inbound.messages import ANA, User, envelope, metadata, now
from tasklane_simulator.payloads import DEFAULT_DISPLAY_NUMBER, DEFAULT_PHONE_NUMBER_ID, DEFAULT_WABA_ID

PRICING = {"billable": True, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}


def status(
    wamid: str,
    status_: str,
    recipient: User = ANA,
    *,
    timestamp: int | None = None,
    callback_data: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    pricing: dict[str, Any] | bool | None = None,
) -> dict[str, Any]:
    """One ``statuses[]`` item. Pricing rides on ``sent`` and ``delivered`` unless ``pricing`` says
    otherwise (True or a dict: on this status too; False: none); ``failed`` carries errors (131026
    by default); the recipient's BSUID is in ``recipient_user_id``."""
    item: dict[str, Any] = {"id": wamid, "status": status_, "timestamp": str(timestamp or now())}
    if recipient.wa_id:
        item["recipient_id"] = recipient.wa_id
    if recipient.bsuid:
        item["recipient_user_id"] = recipient.bsuid
    item["recipient_type"] = "individual"
    if callback_data is not None:
        item["biz_opaque_callback_data"] = callback_data
    if status_ == "sent":
        item["conversation"] = {
            "id": secrets.token_hex(16),
            "expiration_timestamp": str(int(time.time()) + 86400),
            "origin": {"type": "service"},
        }
    if pricing is None:
        pricing = status_ in ("sent", "delivered")
    if pricing is True:
        item["pricing"] = dict(PRICING)
    elif isinstance(pricing, dict):
        item["pricing"] = pricing
    if status_ == "failed":
        item["errors"] = errors or [failure(131026)]
    elif errors:
        item["errors"] = errors
    return item


def failure(code: int, title: str = "Message undeliverable", details: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details or title},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }


def statuses_webhook(
    *items: dict[str, Any], phone_number_id: str = DEFAULT_PHONE_NUMBER_ID, waba_id: str = DEFAULT_WABA_ID
) -> dict[str, Any]:
    return envelope([statuses_change(*items, phone_number_id=phone_number_id)], waba_id)


def statuses_change(*items: dict[str, Any], phone_number_id: str = DEFAULT_PHONE_NUMBER_ID) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": metadata(phone_number_id, DEFAULT_DISPLAY_NUMBER),
        "statuses": list(items),
    }
    return {"field": "messages", "value": value}
