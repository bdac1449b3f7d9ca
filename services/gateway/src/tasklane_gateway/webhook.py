"""Parsing Meta's webhook notifications into the items the gateway acts on.

Pure functions, no I/O. Every entry, change, message and status is visited (Meta batches up to
1000 updates in one POST). The input is signed by Meta but its shape still varies with API
versions and message types, so nothing here raises on odd input: an item that cannot be used is
logged and counted as skipped, the others are still returned. What each message type means is
read by ``inbound_types``; how untrusted values are made safe, by ``untrusted``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from tasklane_common.logging import get_logger
from tasklane_gateway.inbound_types import content
from tasklane_gateway.untrusted import (
    MAX_ID_LENGTH,
    MAX_RAW_DEPTH,
    TooDeep,
    as_list,
    clean,
    ident,
    json_object,
    name,
    object_list,
    optional_object,
    printable,
    sender_id,
    text,
    timestamp,
)

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_RAW_DEPTH",
    "InboundMessage",
    "InboundNotification",
    "InboundStatus",
    "ParsedWebhook",
    "count_items",
    "parse",
]

log = get_logger(__name__)

WHATSAPP_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    phone_number_id: str
    display_phone_number: str | None
    # Whom the message is from: the wa_id, or the business-scoped user id when Meta omits it.
    sender: str
    wa_id: str | None
    profile_name: str | None
    message_type: str
    text: str | None
    reply_id: str | None
    context_wamid: str | None
    sent_at: datetime
    # The whole message (cleaned) when it carries anything the normalised fields do not.
    raw: dict[str, Any] = field(default_factory=dict)
    bsuid: str | None = None
    parent_bsuid: str | None = None
    username: str | None = None
    context: dict[str, Any] | None = None
    referral: dict[str, Any] | None = None
    media: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    reaction: dict[str, Any] | None = None
    contacts: list[dict[str, Any]] = field(default_factory=list)
    order: dict[str, Any] | None = None
    system: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    interactive_type: str | None = None

    @property
    def dedup_key(self) -> str:
        return f"m:{self.wamid}"


@dataclass(frozen=True)
class InboundStatus:
    wamid: str
    status: str
    phone_number_id: str
    recipient_id: str | None
    status_at: datetime
    errors: list[dict[str, Any]] = field(default_factory=list)
    pricing: dict[str, Any] | None = None
    biz_opaque_callback_data: str | None = None
    conversation: dict[str, Any] | None = None
    recipient_type: str | None = None
    recipient_bsuid: str | None = None

    @property
    def dedup_key(self) -> str:
        return f"s:{self.wamid}:{self.status}"


@dataclass(frozen=True)
class InboundNotification:
    """A change of a webhook field other than ``messages`` (account_update, template and quality
    updates...), passed on as Meta sent it."""

    field: str
    # entry[].id: the WhatsApp Business Account the change is about.
    waba_id: str | None
    value: dict[str, Any]
    # SHA-256 of the field, the WABA id and the value's canonical JSON: Meta's retry of the same
    # notification has the same digest, so it is published once.
    digest: str

    @property
    def dedup_key(self) -> str:
        return f"n:{self.digest}"


@dataclass
class ParsedWebhook:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[InboundStatus] = field(default_factory=list)
    notifications: list[InboundNotification] = field(default_factory=list)
    # Items that could not be used (missing id, wrong shape...): logged and dropped.
    skipped: int = 0
    # Well-formed notifications for another product (``object`` is not WhatsApp's).
    ignored: int = 0


class _Malformed(ValueError):
    """An item lacks something the gateway cannot do without."""


@dataclass(frozen=True)
class _Contact:
    """One of ``value.contacts[]``: who sent the messages of a change."""

    wa_id: str | None
    bsuid: str | None
    parent_bsuid: str | None
    profile_name: str | None
    username: str | None


def count_items(payload: dict[str, Any]) -> int:
    """How many updates a webhook carries (its messages and statuses; a change with neither, such
    as an account update, is one), counted without parsing any of them, so that an oversized batch
    can be refused before any work."""
    total = 0
    for entry in as_list(payload.get("entry")):
        for change in as_list(entry.get("changes")) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            items = 0
            if isinstance(value, dict):
                items = len(as_list(value.get("messages"))) + len(as_list(value.get("statuses")))
            total += max(items, 1)
    return total


def parse(payload: dict[str, Any], *, received_at: datetime) -> ParsedWebhook:
    out = ParsedWebhook()
    if payload.get("object") != WHATSAPP_OBJECT:
        # Signed by our app, so it is Meta's, for a product we do not serve (e.g. a Page
        # subscription). Acknowledged and dropped: a retry would never change the answer.
        log.info("webhook_object_ignored", object=printable(payload.get("object")))
        out.ignored += 1
        return out
    for entry in as_list(payload.get("entry")):
        if not isinstance(entry, dict):
            out.skipped += 1
            log.warning("webhook_item_skipped", reason="entry is not an object")
            continue
        for change in as_list(entry.get("changes")):
            _parse_change(change, ident(entry.get("id")), out, received_at)
    return out


def _parse_change(change: Any, waba_id: str | None, out: ParsedWebhook, received_at: datetime) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        out.skipped += 1
        log.warning("webhook_item_skipped", reason="change without a value object")
        return
    value: dict[str, Any] = change["value"]
    if change.get("field") != MESSAGES_FIELD:
        _notification(change.get("field"), waba_id, value, out)
        return
    messages = as_list(value.get("messages"))
    statuses = as_list(value.get("statuses"))
    for error in as_list(value.get("errors")):
        if isinstance(error, dict):
            code, title = printable(error.get("code")), printable(error.get("title"))
            log.warning("whatsapp_reported_error", code=code, title=title)
    metadata = value.get("metadata")
    phone_number_id = ident(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None
    if phone_number_id is None:
        out.skipped += len(messages) + len(statuses)
        log.warning(
            "webhook_item_skipped",
            reason="change without metadata.phone_number_id",
            items=len(messages) + len(statuses),
        )
        return
    display = text(metadata.get("display_phone_number")) if isinstance(metadata, dict) else None
    contacts = _contacts(value.get("contacts"))
    for item in messages:
        try:
            out.messages.append(_message(item, phone_number_id, display, contacts, received_at))
        except Exception as exc:  # one odd message must not cost the others their delivery
            _skip(out, "message", item, exc)
    for item in statuses:
        try:
            out.statuses.append(_status(item, phone_number_id, received_at))
        except Exception as exc:
            _skip(out, "status", item, exc)


def _skip(out: ParsedWebhook, kind: str, item: Any, exc: Exception) -> None:
    out.skipped += 1
    log.warning(
        "webhook_item_skipped",
        kind=kind,
        reason=str(exc)[:200],
        wamid=printable(item.get("id")) if isinstance(item, dict) else None,
    )


def _notification(raw_field: Any, waba_id: str | None, value: dict[str, Any], out: ParsedWebhook) -> None:
    field_name = ident(raw_field)
    if field_name is None:
        out.skipped += 1
        log.warning("webhook_item_skipped", kind="notification", reason="change without a usable field")
        return
    try:
        cleaned: dict[str, Any] = clean(value)
    except TooDeep:
        out.skipped += 1
        log.warning("webhook_item_skipped", kind="notification", field=field_name, reason="nested too deeply")
        return
    canonical = orjson.dumps(cleaned, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(
        field_name.encode() + b"\x1f" + (waba_id or "").encode() + b"\x1f" + canonical
    ).hexdigest()
    out.notifications.append(InboundNotification(field_name, waba_id, cleaned, digest))


def _message(
    item: Any, phone_number_id: str, display: str | None, contacts: list[_Contact], received_at: datetime
) -> InboundMessage:
    if not isinstance(item, dict):
        raise _Malformed("message is not an object")
    wamid = ident(item.get("id"))
    if wamid is None:
        raise _Malformed("message without a usable id")
    wa_id = sender_id(item.get("from"))
    from_bsuid = sender_id(item.get("from_user_id"))
    contact = _contact_of(contacts, wa_id, from_bsuid)
    bsuid = from_bsuid or (contact.bsuid if contact else None)
    sender = wa_id or bsuid
    if sender is None:
        raise _Malformed("message without a sender")
    message_type = ident(item.get("type")) or "unknown"
    found = content(message_type, item, wamid)
    context = optional_object(item.get("context"), wamid)
    return InboundMessage(
        wamid=wamid,
        phone_number_id=phone_number_id,
        display_phone_number=display,
        sender=sender,
        wa_id=wa_id,
        profile_name=contact.profile_name if contact else None,
        message_type=message_type,
        text=found.text,
        reply_id=found.reply_id,
        context_wamid=ident(context.get("id")) if context else None,
        sent_at=timestamp(item.get("timestamp"), received_at),
        raw={} if found.complete else json_object(item, wamid),
        bsuid=bsuid,
        parent_bsuid=ident(item.get("from_parent_user_id")) or (contact.parent_bsuid if contact else None),
        username=contact.username if contact else None,
        context=context,
        referral=optional_object(item.get("referral"), wamid),
        media=found.media,
        location=found.location,
        reaction=found.reaction,
        contacts=found.contacts,
        order=found.order,
        system=found.system,
        errors=object_list(item.get("errors"), wamid),
        interactive_type=found.interactive_type,
    )


def _status(item: Any, phone_number_id: str, received_at: datetime) -> InboundStatus:
    if not isinstance(item, dict):
        raise _Malformed("status is not an object")
    wamid = ident(item.get("id"))
    status = ident(item.get("status"))
    if wamid is None or status is None:
        raise _Malformed("status without a usable id or status")
    return InboundStatus(
        wamid=wamid,
        status=status,
        phone_number_id=phone_number_id,
        recipient_id=ident(item.get("recipient_id")),
        status_at=timestamp(item.get("timestamp"), received_at),
        errors=object_list(item.get("errors"), wamid),
        pricing=optional_object(item.get("pricing"), wamid),
        biz_opaque_callback_data=text(item.get("biz_opaque_callback_data")),
        conversation=optional_object(item.get("conversation"), wamid),
        recipient_type=ident(item.get("recipient_type")),
        recipient_bsuid=ident(item.get("recipient_user_id")),
    )


def _contacts(value: Any) -> list[_Contact]:
    out: list[_Contact] = []
    for contact in as_list(value):
        if not isinstance(contact, dict):
            continue
        profile = contact.get("profile")
        profile = profile if isinstance(profile, dict) else {}
        out.append(
            _Contact(
                wa_id=ident(contact.get("wa_id")),
                bsuid=ident(contact.get("user_id")),
                parent_bsuid=ident(contact.get("parent_user_id")),
                profile_name=name(profile.get("name")),
                username=name(profile.get("username")),
            )
        )
    return out


def _contact_of(contacts: list[_Contact], wa_id: str | None, bsuid: str | None) -> _Contact | None:
    """The sender's entry of ``contacts[]``: the one naming the sender, else the only one unless it
    names someone else (Meta lists there the sender of the change's messages)."""
    for contact in contacts:
        if (wa_id and contact.wa_id == wa_id) or (bsuid and contact.bsuid == bsuid):
            return contact
    if len(contacts) != 1:
        return None
    only = contacts[0]
    contradicts = (wa_id and only.wa_id) or (bsuid and only.bsuid)
    return None if contradicts else only
