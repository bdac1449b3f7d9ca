"""What each type of inbound WhatsApp message means, in the normalised fields of ``MessageReceived``.

One function per family of types, reading the object named after the message's ``type`` (reference
§2.3). Nothing here raises: a body of an unexpected shape yields what could be read and marks the
message incomplete, so that the gateway keeps it whole in ``raw``; nothing Meta sent is lost, even
for types and fields this module has never heard of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasklane_gateway.untrusted import as_list, clean, ident, json_object, object_list, text

MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})
# The keys of a media object, and the JSON type each must have to be carried in ``media``.
_MEDIA_KEYS: dict[str, type] = {
    "id": str,
    "mime_type": str,
    "sha256": str,
    "caption": str,
    "filename": str,
    "voice": bool,
    "animated": bool,
    "url": str,
}
_LOCATION_TEXT = ("name", "address", "url")
# Keys of a message that the normalised event carries besides its type's own object.
_ENVELOPE_KEYS = frozenset(
    {
        "from",
        "from_user_id",
        "from_parent_user_id",
        "id",
        "timestamp",
        "type",
        "context",
        "referral",
        "errors",
    }
)


@dataclass
class Content:
    """The normalised content of one message."""

    text: str | None = None
    reply_id: str | None = None
    interactive_type: str | None = None
    media: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    reaction: dict[str, Any] | None = None
    contacts: list[dict[str, Any]] = field(default_factory=list)
    order: dict[str, Any] | None = None
    system: dict[str, Any] | None = None
    # False when the message carries something the fields above do not (an unknown type or
    # field, a body of an unexpected shape): the event then holds the whole message in ``raw``.
    complete: bool = True


def content(message_type: str, item: dict[str, Any], wamid: str) -> Content:
    reader = _READERS.get(message_type)
    if reader is None:
        return Content(complete=False)
    found = reader(item.get(message_type), wamid)
    if any(key not in _ENVELOPE_KEYS and key != message_type for key in item):
        found.complete = False
    return found


def _only(body: dict[str, Any], known: set[str] | frozenset[str]) -> bool:
    return all(key in known for key in body)


def _text(body: Any, wamid: str) -> Content:
    if isinstance(body, dict) and isinstance(body.get("body"), str):
        return Content(text=text(body["body"]), complete=_only(body, {"body"}))
    return Content(complete=False)


def _interactive(body: Any, wamid: str) -> Content:
    if not isinstance(body, dict):
        return Content(complete=False)
    kind = ident(body.get("type"))
    picked = body.get(kind) if kind else None
    if kind in ("button_reply", "list_reply") and isinstance(picked, dict):
        return Content(
            text=text(picked.get("title")),
            reply_id=text(picked.get("id")),
            interactive_type=kind,
            # A list row's description is not normalised: the message stays whole in raw.
            complete=_only(body, {"type", kind}) and _only(picked, {"id", "title"}),
        )
    # nfm_reply (a completed WhatsApp Flow) and anything newer: the answer lives in raw.
    return Content(interactive_type=kind, complete=False)


def _button(body: Any, wamid: str) -> Content:
    """A tap on a quick-reply button of one of our templates."""
    if not isinstance(body, dict):
        return Content(complete=False)
    return Content(
        text=text(body.get("text")),
        reply_id=text(body.get("payload")),
        complete=_only(body, {"text", "payload"}),
    )


def _media(body: Any, wamid: str) -> Content:
    if not isinstance(body, dict):
        return Content(complete=False)
    media: dict[str, Any] = {}
    complete = True
    for key, value in body.items():
        expected = _MEDIA_KEYS.get(key)
        if expected is not None and isinstance(value, expected):
            media[key] = text(value) if isinstance(value, str) else value
        else:
            complete = False
    return Content(text=media.get("caption"), media=media, complete=complete)


def _location(body: Any, wamid: str) -> Content:
    if not isinstance(body, dict):
        return Content(complete=False)
    location: dict[str, Any] = {}
    complete = True
    for key, value in body.items():
        if key in ("latitude", "longitude") and _number(value):
            location[key] = clean(value)
        elif key in _LOCATION_TEXT and isinstance(value, str):
            location[key] = text(value)
        else:
            complete = False
    return Content(location=location, complete=complete)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reaction(body: Any, wamid: str) -> Content:
    if not isinstance(body, dict):
        return Content(complete=False)
    emoji = text(body.get("emoji")) or None
    # Taking a reaction back arrives as the same object with the emoji empty or missing.
    reaction = {"message_id": ident(body.get("message_id")), "emoji": emoji, "removed": emoji is None}
    return Content(reaction=reaction, complete=_only(body, {"message_id", "emoji"}))


def _contacts(body: Any, wamid: str) -> Content:
    # Contact cards are kept as Meta sent them (cleaned): their shape is Meta's vCard mapping.
    cards = object_list(body, wamid)
    return Content(contacts=cards, complete=len(cards) == len(as_list(body)) and isinstance(body, list))


def _order(body: Any, wamid: str) -> Content:
    if not isinstance(body, dict):
        return Content(complete=False)
    order = json_object(body, wamid)
    # The note the user typed with the order is their words.
    return Content(text=text(order.get("text")), order=order, complete=bool(order) or not body)


def _system(body: Any, wamid: str) -> Content:
    """E.g. ``user_changed_number``: ``{"type", "body", "wa_id": <the new number>}``."""
    if not isinstance(body, dict):
        return Content(complete=False)
    system = json_object(body, wamid)
    return Content(system=system, complete=bool(system) or not body)


def _unsupported(body: Any, wamid: str) -> Content:
    # What Meta could not render (``{"type": "poll_update"}``...) stays in raw; errors[] says why.
    return Content(complete=body is None)


_READERS: dict[str, Callable[[Any, str], Content]] = {
    "text": _text,
    "interactive": _interactive,
    "button": _button,
    **dict.fromkeys(MEDIA_TYPES, _media),
    "location": _location,
    "reaction": _reaction,
    "contacts": _contacts,
    "order": _order,
    "system": _system,
    "unsupported": _unsupported,
}
