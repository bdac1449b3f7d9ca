"""Realistic inbound message webhooks for every message type Meta sends.

Shapes follow Meta's webhook reference (see the project's WhatsApp reference, section 2): string
timestamps, wamids shaped like Meta's, ``contacts[]`` with profile, ``wa_id`` and the business-scoped
``user_id``. A builder of a message returns an :class:`Inbound` (the message and its sender's contact
entry); :func:`messages_webhook` wraps any number of them into one signed-ready payload.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any

from tasklane_simulator.payloads import (
    DEFAULT_DISPLAY_NUMBER,
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_WABA_ID,
    new_wamid,
)

OBJECT = "whatsapp_business_account"


def new_bsuid(country: str = "US") -> str:
    """A business-scoped user id: ISO country code, a dot, up to 128 digits/letters."""
    return f"{country}.{secrets.randbelow(10**20):020d}"


def user_wamid(wa_id: str | None) -> str:
    """A wamid as Meta builds them for a user's message: base64 of a small record naming the
    user's number (``HBgL…``); a random one for users known only by their BSUID."""
    if not wa_id:
        return new_wamid()
    number = wa_id.encode()
    opaque = secrets.token_hex(10).upper().encode()
    record = b"\x1c\x18" + bytes([len(number)]) + number + b"\x15\x02\x00\x12\x18\x14" + opaque + b"\x00"
    return "wamid." + base64.b64encode(record).decode()


def now() -> str:
    return str(int(time.time()))


@dataclass(frozen=True)
class User:
    """A WhatsApp user. ``wa_id=None`` is a user with a username whose number Meta withholds."""

    wa_id: str | None = "16505551234"
    name: str = "Sheena Nelson"
    bsuid: str | None = None
    parent_bsuid: str | None = None
    username: str | None = None

    def contact(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"name": self.name}
        if self.username:
            profile["username"] = self.username
        contact: dict[str, Any] = {"profile": profile}
        if self.wa_id:
            contact["wa_id"] = self.wa_id
        if self.bsuid:
            contact["user_id"] = self.bsuid
        if self.parent_bsuid:
            contact["parent_user_id"] = self.parent_bsuid
        return contact

    def sender(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.wa_id:
            out["from"] = self.wa_id
        if self.bsuid:
            out["from_user_id"] = self.bsuid
        return out


ANA = User(wa_id="5511999990000", name="Ana Souza", bsuid="BR.13491208655302741918")
# A user who adopted a username: Meta sends no phone number at all.
HANDLE_ONLY = User(
    wa_id=None,
    name="Kai",
    bsuid="US.ENT.11815799212886844830",
    parent_bsuid="US.ENT.99000000000000000001",
    username="kai.builds",
)


@dataclass(frozen=True)
class Inbound:
    """One user message and the ``contacts[]`` entry Meta sends with it (None for ``system``)."""

    message: dict[str, Any]
    contact: dict[str, Any] | None

    @property
    def wamid(self) -> str:
        return str(self.message["id"])


def message(
    user: User,
    type_: str,
    body: Any,
    *,
    wamid: str | None = None,
    timestamp: int | None = None,
    context: dict[str, Any] | None = None,
    referral: dict[str, Any] | None = None,
    with_contact: bool = True,
    **extra: Any,
) -> Inbound:
    """Any message: ``body`` goes under the key named after ``type_`` (omitted when None)."""
    item: dict[str, Any] = {
        **user.sender(),
        "id": wamid or user_wamid(user.wa_id),
        "timestamp": str(timestamp) if timestamp is not None else now(),
        "type": type_,
    }
    if context is not None:
        item["context"] = context
    if referral is not None:
        item["referral"] = referral
    if body is not None:
        item[type_] = body
    item.update(extra)
    return Inbound(item, user.contact() if with_contact else None)


def reply_context(our_wamid: str, business_number: str = DEFAULT_DISPLAY_NUMBER) -> dict[str, Any]:
    """The ``context`` of a reply to (or a button tap on) one of our messages."""
    return {"from": business_number, "id": our_wamid}


def forwarded_context(*, frequently: bool = False) -> dict[str, Any]:
    return {"frequently_forwarded": True} if frequently else {"forwarded": True}


def ad_referral() -> dict[str, Any]:
    """A Click-to-WhatsApp ad entry point."""
    return {
        "source_url": "https://fb.me/3cr4Wqqkn",
        "source_id": "120212398713640217",
        "source_type": "ad",
        "headline": "Plan your week in WhatsApp",
        "body": "Tasks, reminders and lists, right in your chat.",
        "media_type": "image",
        "image_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/ad.jpg",
        "thumbnail_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/thumb.jpg",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
    }


def text(user: User, body: str, **kw: Any) -> Inbound:
    return message(user, "text", {"body": body}, **kw)


def button_reply(user: User, reply_id: str, title: str, *, replying_to: str, **kw: Any) -> Inbound:
    body = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    return message(user, "interactive", body, context=reply_context(replying_to), **kw)


def list_reply(
    user: User, reply_id: str, title: str, *, replying_to: str, description: str | None = None, **kw: Any
) -> Inbound:
    row = {"id": reply_id, "title": title} | ({"description": description} if description else {})
    body = {"type": "list_reply", "list_reply": row}
    return message(user, "interactive", body, context=reply_context(replying_to), **kw)


def flow_reply(user: User, response: str, *, replying_to: str, **kw: Any) -> Inbound:
    """A completed WhatsApp Flow (``nfm_reply``); ``response`` is the flow's JSON answer."""
    body = {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": response}}
    return message(user, "interactive", body, context=reply_context(replying_to), **kw)


def template_button(user: User, payload: str, label: str, *, replying_to: str, **kw: Any) -> Inbound:
    """A tap on a quick-reply button of one of our templates."""
    body = {"payload": payload, "text": label}
    return message(user, "button", body, context=reply_context(replying_to), **kw)


def _media_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def _media(mime_type: str, **fields: Any) -> dict[str, Any]:
    media_id = _media_id()
    body: dict[str, Any] = {
        "mime_type": mime_type,
        "sha256": base64.b64encode(secrets.token_bytes(32)).decode(),
        "id": media_id,
        "url": f"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid={media_id}&ext=1760000000",
    }
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


def image(user: User, caption: str | None = None, **kw: Any) -> Inbound:
    return message(user, "image", _media("image/jpeg", caption=caption), **kw)


def audio(user: User, *, voice: bool = True, **kw: Any) -> Inbound:
    mime = "audio/ogg; codecs=opus" if voice else "audio/mpeg"
    return message(user, "audio", _media(mime, voice=voice), **kw)


def video(user: User, caption: str | None = None, **kw: Any) -> Inbound:
    return message(user, "video", _media("video/mp4", caption=caption), **kw)


def document(user: User, filename: str, caption: str | None = None, **kw: Any) -> Inbound:
    return message(user, "document", _media("application/pdf", filename=filename, caption=caption), **kw)


def sticker(user: User, *, animated: bool = False, **kw: Any) -> Inbound:
    return message(user, "sticker", _media("image/webp", animated=animated), **kw)


def location(user: User, latitude: float, longitude: float, *, name: str | None = None, **kw: Any) -> Inbound:
    body: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name:
        body |= {"name": name, "address": "1 Hacker Way, Menlo Park, CA 94025", "url": "https://www.meta.com"}
    return message(user, "location", body, **kw)


def reaction(user: User, message_id: str, emoji: str | None, **kw: Any) -> Inbound:
    """``emoji=""`` or None: the user took their reaction back (Meta sends it empty or omits it)."""
    body: dict[str, Any] = {"message_id": message_id}
    if emoji is not None:
        body["emoji"] = emoji
    return message(user, "reaction", body, **kw)


def contact_card(name: str, phone: str, wa_id: str | None = None) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    phones = [{"phone": phone, "type": "CELL"} | ({"wa_id": wa_id} if wa_id else {})]
    return {
        "name": {"formatted_name": name, "first_name": first, "last_name": last},
        "phones": phones,
        "emails": [{"email": f"{first.lower()}@example.com", "type": "WORK"}],
        "org": {"company": "Example Co"},
    }


def contacts(user: User, *cards: dict[str, Any], **kw: Any) -> Inbound:
    return message(user, "contacts", list(cards), **kw)


def order(user: User, note: str = "", **kw: Any) -> Inbound:
    items = [
        {"product_retailer_id": "sku-7781", "quantity": 2, "item_price": 12.5, "currency": "USD"},
        {"product_retailer_id": "sku-1200", "quantity": 1, "item_price": 40, "currency": "USD"},
    ]
    return message(
        user, "order", {"catalog_id": "194836987003835", "text": note, "product_items": items}, **kw
    )


def changed_number(user: User, new_wa_id: str, **kw: Any) -> Inbound:
    """``user_changed_number``: from the old number, naming the new one; no ``contacts[]``."""
    body = {
        "body": f"User {user.name} changed from {user.wa_id} to {new_wa_id}",
        "wa_id": new_wa_id,
        "type": "user_changed_number",
    }
    return message(user, "system", body, with_contact=False, **kw)


def unsupported(user: User, kind: str = "poll_update", **kw: Any) -> Inbound:
    errors = [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]
    return message(user, "unsupported", {"type": kind}, errors=errors, **kw)


def messages_webhook(
    *inbound: Inbound,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    return envelope(
        [messages_change(*inbound, phone_number_id=phone_number_id, display=display_phone_number)], waba_id
    )


def messages_change(
    *inbound: Inbound, phone_number_id: str = DEFAULT_PHONE_NUMBER_ID, display: str = DEFAULT_DISPLAY_NUMBER
) -> dict[str, Any]:
    """One ``changes[]`` item of field ``messages`` carrying ``inbound`` and their contacts."""
    seen: list[dict[str, Any]] = []
    for item in inbound:
        if item.contact is not None and item.contact not in seen:
            seen.append(item.contact)
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": metadata(phone_number_id, display)}
    if seen:
        value["contacts"] = seen
    value["messages"] = [item.message for item in inbound]
    return {"field": "messages", "value": value}


def envelope(changes: list[dict[str, Any]], waba_id: str = DEFAULT_WABA_ID) -> dict[str, Any]:
    return {"object": OBJECT, "entry": [{"id": waba_id, "changes": changes}]}


def metadata(phone_number_id: str, display: str) -> dict[str, str]:
    return {"display_phone_number": display, "phone_number_id": phone_number_id}
