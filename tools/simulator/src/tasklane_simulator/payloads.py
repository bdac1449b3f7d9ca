"""Realistic, signed WhatsApp Cloud API webhook payloads (shapes per Meta's webhook reference).

Used by the simulator, the gateway's tests, the demo and the benchmark.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "15550783881"
DEFAULT_WABA_ID = "102290129340398"


def new_wamid() -> str:
    """A wamid shaped like Meta's: ``wamid.`` and base64 of an opaque id."""
    return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(18)).decode()


def encode(payload: dict[str, Any]) -> bytes:
    """Compact JSON with non-ASCII escaped as ``\\uXXXX``, the way Meta sends (and signs) it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _envelope(value: dict[str, Any], *, waba_id: str) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}],
    }


def _metadata(phone_number_id: str, display_phone_number: str) -> dict[str, str]:
    return {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id}


def text_message_webhook(
    *,
    from_: str,
    text: str,
    wamid: str | None = None,
    name: str = "Test User",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
    timestamp: int | None = None,
) -> dict[str, Any]:
    message = {
        "from": from_,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": _metadata(phone_number_id, display_phone_number),
        "contacts": [{"profile": {"name": name}, "wa_id": from_}],
        "messages": [message],
    }
    return _envelope(value, waba_id=waba_id)


def status_webhook(
    *,
    wamid: str,
    status: str,
    recipient_id: str | None,
    recipient_user_id: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
    errors: list[dict[str, Any]] | None = None,
    timestamp: int | None = None,
    biz_opaque_callback_data: str | None = None,
    pricing: dict[str, Any] | bool | None = None,
) -> dict[str, Any]:
    """``pricing``: None puts the in-window service pricing on ``sent`` and ``delivered``; False
    leaves it out; True or a dict (see :func:`pricing_of`) puts it on this status whatever it is.
    A message sent to a business-scoped user id names it in ``recipient_user_id`` and has no
    ``recipient_id`` (the user's number is not Meta's to give away)."""
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
    }
    if recipient_id is not None:
        item["recipient_id"] = recipient_id
    if recipient_user_id is not None:
        item["recipient_user_id"] = recipient_user_id
    if biz_opaque_callback_data is not None:
        item["biz_opaque_callback_data"] = biz_opaque_callback_data
    if pricing is None:
        pricing = status in ("sent", "delivered")
    if pricing is True:
        item["pricing"] = pricing_of()
    elif isinstance(pricing, dict):
        item["pricing"] = pricing
    if errors:
        item["errors"] = errors
    value = {
        "messaging_product": "whatsapp",
        "metadata": _metadata(phone_number_id, display_phone_number),
        "statuses": [item],
    }
    return _envelope(value, waba_id=waba_id)


def pricing_of(*, template: bool = False) -> dict[str, Any]:
    """Per-message pricing as status webhooks carry it: in-window service messages are free."""
    if template:
        return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    return {"billable": True, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}


def merge_webhooks(*payloads: dict[str, Any]) -> dict[str, Any]:
    """One POST carrying the entries of several payloads, as Meta batches them."""
    return {"object": "whatsapp_business_account", "entry": [e for p in payloads for e in p["entry"]]}
