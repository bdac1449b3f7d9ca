"""Parsing Meta's webhook notifications into the items the gateway acts on.

Pure functions, no I/O. Every entry, change, message and status is visited (Meta batches up to
1000 updates in one POST). The input is signed by Meta but its shape still varies with API
versions and message types, so nothing here raises on odd input: an item that cannot be used is
logged and counted as skipped, the others are still returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from tasklane_common.logging import get_logger

log = get_logger(__name__)

WHATSAPP_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"
# Identifiers longer than this are not Meta's (a wamid is ~60 characters, a BSUID at most ~131).
MAX_ID_LENGTH = 256
MAX_NAME_LENGTH = 256


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
    raw: dict[str, Any] = field(default_factory=dict)

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

    @property
    def dedup_key(self) -> str:
        return f"s:{self.wamid}:{self.status}"


@dataclass
class ParsedWebhook:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[InboundStatus] = field(default_factory=list)
    # Items that could not be used (missing id, wrong shape...): logged and dropped.
    skipped: int = 0
    # Well-formed notifications the gateway does not handle (other objects or fields).
    ignored: int = 0


class _Malformed(ValueError):
    """An item lacks something the gateway cannot do without."""


def parse(payload: dict[str, Any], *, received_at: datetime) -> ParsedWebhook:
    out = ParsedWebhook()
    if payload.get("object") != WHATSAPP_OBJECT:
        # Signed by our app, so it is Meta's, for a product we do not serve (e.g. a Page
        # subscription). Acknowledged and dropped: a retry would never change the answer.
        log.info("webhook_object_ignored", object=_printable(payload.get("object")))
        out.ignored += 1
        return out
    for entry in _list(payload.get("entry")):
        if not isinstance(entry, dict):
            out.skipped += 1
            log.warning("webhook_item_skipped", reason="entry is not an object")
            continue
        for change in _list(entry.get("changes")):
            _parse_change(change, out, received_at)
    return out


def _parse_change(change: Any, out: ParsedWebhook, received_at: datetime) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        out.skipped += 1
        log.warning("webhook_item_skipped", reason="change without a value object")
        return
    if change.get("field") != MESSAGES_FIELD:
        out.ignored += 1
        log.info("webhook_field_ignored", field=_printable(change.get("field")))
        return
    value: dict[str, Any] = change["value"]
    messages = _list(value.get("messages"))
    statuses = _list(value.get("statuses"))
    for error in _list(value.get("errors")):
        if isinstance(error, dict):
            log.warning(
                "whatsapp_reported_error", code=error.get("code"), title=_printable(error.get("title"))
            )
    metadata = value.get("metadata")
    phone_number_id = _id(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None
    if phone_number_id is None:
        out.skipped += len(messages) + len(statuses)
        log.warning(
            "webhook_item_skipped",
            reason="change without metadata.phone_number_id",
            items=len(messages) + len(statuses),
        )
        return
    display = _text(metadata.get("display_phone_number")) if isinstance(metadata, dict) else None
    names = _profile_names(value.get("contacts"))
    for item in messages:
        try:
            out.messages.append(_message(item, phone_number_id, display, names, received_at))
        except Exception as exc:  # one odd message must not cost the others their delivery
            out.skipped += 1
            log.warning(
                "webhook_item_skipped",
                kind="message",
                reason=str(exc)[:200],
                wamid=_printable(item.get("id")) if isinstance(item, dict) else None,
            )
    for item in statuses:
        try:
            out.statuses.append(_status(item, phone_number_id, received_at))
        except Exception as exc:
            out.skipped += 1
            log.warning(
                "webhook_item_skipped",
                kind="status",
                reason=str(exc)[:200],
                wamid=_printable(item.get("id")) if isinstance(item, dict) else None,
            )


def _message(
    item: Any, phone_number_id: str, display: str | None, names: dict[str, str], received_at: datetime
) -> InboundMessage:
    if not isinstance(item, dict):
        raise _Malformed("message is not an object")
    wamid = _id(item.get("id"))
    if wamid is None:
        raise _Malformed("message without a usable id")
    wa_id = _id(item.get("from"))
    sender = wa_id or _id(item.get("from_user_id"))
    if sender is None:
        raise _Malformed("message without a sender")
    message_type = _text(item.get("type")) or "unknown"
    text: str | None = None
    reply_id: str | None = None
    raw: dict[str, Any] = {}
    body = item.get(message_type)
    if message_type == "text" and isinstance(body, dict) and isinstance(body.get("body"), str):
        text = _text(body["body"])
    elif message_type == "interactive" and isinstance(body, dict) and _interactive_reply(body):
        picked = body[body["type"]]
        reply_id, text = _text(picked.get("id")), _text(picked.get("title"))
    elif message_type == "button" and isinstance(body, dict):
        text, reply_id = _text(body.get("text")), _text(body.get("payload"))
    else:
        raw = _serialisable(item, wamid)
    context = item.get("context")
    return InboundMessage(
        wamid=wamid,
        phone_number_id=phone_number_id,
        display_phone_number=display,
        sender=sender,
        wa_id=wa_id,
        profile_name=names.get(sender) or (next(iter(names.values())) if len(names) == 1 else None),
        message_type=message_type,
        text=text,
        reply_id=reply_id,
        context_wamid=_id(context.get("id")) if isinstance(context, dict) else None,
        sent_at=_timestamp(item.get("timestamp"), received_at),
        raw=raw,
    )


def _interactive_reply(body: dict[str, Any]) -> bool:
    kind = body.get("type")
    return kind in ("button_reply", "list_reply") and isinstance(body.get(kind), dict)


def _status(item: Any, phone_number_id: str, received_at: datetime) -> InboundStatus:
    if not isinstance(item, dict):
        raise _Malformed("status is not an object")
    wamid = _id(item.get("id"))
    status = _id(item.get("status"))
    if wamid is None or status is None:
        raise _Malformed("status without a usable id or status")
    pricing = item.get("pricing")
    return InboundStatus(
        wamid=wamid,
        status=status,
        phone_number_id=phone_number_id,
        recipient_id=_id(item.get("recipient_id")),
        status_at=_timestamp(item.get("timestamp"), received_at),
        errors=[_serialisable(e, wamid) for e in _list(item.get("errors")) if isinstance(e, dict)],
        pricing=_serialisable(pricing, wamid) if isinstance(pricing, dict) else None,
        biz_opaque_callback_data=_text(item.get("biz_opaque_callback_data")),
    )


def _profile_names(contacts: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in _list(contacts):
        if not isinstance(contact, dict) or not isinstance(contact.get("profile"), dict):
            continue
        name = _text(contact["profile"].get("name"))
        if name is None:
            continue
        for key in ("wa_id", "user_id"):
            ident = _id(contact.get(key))
            if ident is not None:
                names[ident] = name[:MAX_NAME_LENGTH]
    return names


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """A string safe to store and serialise: no NUL (PostgreSQL refuses it), no lone surrogate
    (JSON allows ``\\ud800``; UTF-8 encoders refuse it)."""
    if not isinstance(value, str):
        return None
    text: str = value.replace("\x00", "") if "\x00" in value else value
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _id(value: Any) -> str | None:
    """An identifier: a short printable string (numbers are accepted and turned into text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    # isprintable() also rejects control characters and lone surrogates.
    return value if 0 < len(value) <= MAX_ID_LENGTH and value.isprintable() else None


def _printable(value: Any) -> str | None:
    """For logs only: a short, harmless rendering of an untrusted value."""
    return None if value is None else repr(value)[:80]


def _timestamp(value: Any, fallback: datetime) -> datetime:
    # Meta sends Unix seconds as a string; an unreadable one must not cost us the message.
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


# Meta's objects nest a handful of levels; the event wraps them a few levels deeper and the JSON
# encoders give up near 255. Anything deeper than this is not Meta's and is dropped.
MAX_RAW_DEPTH = 32


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_RAW_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _serialisable(value: dict[str, Any], wamid: str) -> dict[str, Any]:
    """``value`` if it survives JSON encoding (the event is JSON), else an empty dict: a huge
    integer, a lone surrogate or absurd nesting in an auxiliary field must not lose the item."""
    if _depth(value) > MAX_RAW_DEPTH:
        log.warning("webhook_raw_dropped", wamid=wamid, reason="nested too deeply")
        return {}
    try:
        orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        log.warning("webhook_raw_dropped", wamid=wamid)
        return {}
    return value
