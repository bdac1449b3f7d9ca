"""Validation of ``POST /{version}/{phone_number_id}/messages`` bodies, the way Meta rejects them.

Top-level required parameters missing or of the wrong kind answer code 100 (``The parameter X is
required.``, ``Param X must be ...``); problems inside the object of the message type answer
131008 (required parameter missing) or 131009 (parameter value not valid).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tasklane_simulator.errors import GraphError

TEXT_MAX = 4096
MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})
OTHER_TYPES = frozenset({"location", "contacts"})
SEND_TYPES = frozenset({"text", "interactive", "template", "reaction"}) | MEDIA_TYPES | OTHER_TYPES
# A business-scoped user id ("US.13491208655302741918") or a parent one ("US.ENT.1181...").
_BSUID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")


def is_bsuid(value: str) -> bool:
    return _BSUID.fullmatch(value) is not None


def recipient_key(address: str) -> str:
    """The user an address names, as limits, windows and records key them: a BSUID as is (it is
    opaque), anything else by its digits ("+55 11 99999-0000" and "5511999990000" are one user)."""
    return address if is_bsuid(address) else "".join(ch for ch in address if ch.isdigit())


def addressed(body: Any) -> str | None:
    """The recipient key of a ``/messages`` body before it is validated (for the attempt record):
    ``to`` wins over ``recipient``, as at Meta."""
    if not isinstance(body, dict):
        return None
    for field in ("to", "recipient"):
        if isinstance(body.get(field), str):
            return recipient_key(body[field])
    return None


@dataclass(frozen=True)
class SendRequest:
    """A valid send. ``to``: the address as given (Meta's ``contacts[].input``); ``wa_id``: the
    user's key (digits, or the BSUID of a send by ``recipient``); ``bsuid``: set for the latter."""

    to: str
    wa_id: str
    type: str
    bsuid: str | None = None


@dataclass(frozen=True)
class MarkRead:
    message_id: str
    typing_indicator: bool


def validate(body: Any) -> SendRequest | MarkRead:
    if not isinstance(body, dict):
        raise GraphError(100, "Request body must be a JSON object")
    product = body.get("messaging_product")
    if product is None:
        raise GraphError(100, message="(#100) The parameter messaging_product is required.")
    if product != "whatsapp":
        raise GraphError(
            100, message=f'(#100) Param messaging_product must be one of {{WHATSAPP}} - got "{product}".'
        )
    if "status" in body:
        return _mark_read(body)
    to, wa_id, bsuid = _address(body)
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type not in ("individual", "group"):
        raise GraphError(
            100,
            message=f"(#100) Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got "
            f'"{recipient_type}".',
        )
    kind = body.get("type", "text")
    if kind not in SEND_TYPES:
        raise GraphError(131009, f"Message type '{kind}' is not supported")
    content = body.get(kind)
    if not isinstance(content, dict):
        raise GraphError(131008, f"The parameter {kind} is required for messages of type {kind}")
    _CHECKS.get(kind, _media if kind in MEDIA_TYPES else _any)(content)
    context = body.get("context")
    if context is not None and not (isinstance(context, dict) and isinstance(context.get("message_id"), str)):
        raise GraphError(131009, "context.message_id must be a message id")
    return SendRequest(to=to, wa_id=wa_id, type=kind, bsuid=bsuid)


def _address(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """(the address as given, the user's key, the BSUID when the send goes by ``recipient``).
    A phone number goes in ``to``, a business-scoped user id in ``recipient``; with both, ``to``
    wins (Meta's rule)."""
    to = body.get("to")
    if to is None and "recipient" in body:
        recipient = body["recipient"]
        if not isinstance(recipient, str) or not is_bsuid(recipient):
            raise GraphError(
                100, f"Invalid 'recipient' parameter: {recipient!r} is not a business-scoped user id"
            )
        return recipient, recipient, recipient
    if not isinstance(to, str) or not to.strip():
        raise GraphError(100, message="(#100) The parameter to is required.")
    digits = "".join(ch for ch in to if ch.isdigit())
    # A BSUID in ``to`` is a caller's mistake (it belongs in ``recipient``), not its digits.
    if not 6 <= len(digits) <= 15 or is_bsuid(to):
        raise GraphError(100, f"Invalid 'to' parameter: {to!r} is not a phone number")
    return to, digits, None


def _mark_read(body: dict[str, Any]) -> MarkRead:
    if body.get("status") != "read":
        raise GraphError(
            100, message=f'(#100) Param status must be one of {{READ}} - got "{body["status"]}".'
        )
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise GraphError(100, message="(#100) The parameter message_id is required.")
    return MarkRead(message_id=message_id, typing_indicator="typing_indicator" in body)


def _text(content: dict[str, Any]) -> None:
    body = content.get("body")
    if body is None:
        raise GraphError(131008, "The parameter text['body'] is required.")
    if not isinstance(body, str) or not body:
        raise GraphError(131009, "text['body'] must be a non-empty string")
    if len(body) > TEXT_MAX:
        raise GraphError(131009, f"text['body'] must be at most {TEXT_MAX} characters long")


def _text_field(obj: Any, name: str, limit: int, *, where: str) -> None:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, str) or not value:
        raise GraphError(131008, f"The parameter {where}['{name}'] is required.")
    if len(value) > limit:
        raise GraphError(131009, f"{where}['{name}'] must be at most {limit} characters long")


def _interactive(content: dict[str, Any]) -> None:
    kind = content.get("type")
    action = content.get("action")
    if not isinstance(action, dict):
        raise GraphError(131008, "The parameter interactive['action'] is required.")
    if kind == "button":
        _text_field(content.get("body"), "text", 1024, where="interactive['body']")
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise GraphError(131009, "interactive['action']['buttons'] must hold 1 to 3 buttons")
        titles = []
        for button in buttons:
            reply = button.get("reply") if isinstance(button, dict) else None
            _text_field(reply, "id", 256, where="button['reply']")
            _text_field(reply, "title", 20, where="button['reply']")
            assert isinstance(reply, dict)
            titles.append(reply["title"])
        if len(set(titles)) != len(titles):
            raise GraphError(131009, "Button titles must be unique")
    elif kind == "list":
        _text_field(content.get("body"), "text", 4096, where="interactive['body']")
        _text_field(action, "button", 20, where="interactive['action']")
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            raise GraphError(131009, "interactive['action']['sections'] must hold 1 to 10 sections")
        rows = [r for s in sections if isinstance(s, dict) for r in (s.get("rows") or [])]
        if not 1 <= len(rows) <= 10:
            raise GraphError(131009, "A list message must have 1 to 10 rows in total")
        for row in rows:
            _text_field(row, "id", 200, where="row")
            _text_field(row, "title", 24, where="row")
    elif not isinstance(kind, str):
        raise GraphError(131008, "The parameter interactive['type'] is required.")


def _template(content: dict[str, Any]) -> None:
    if not isinstance(content.get("name"), str) or not content["name"]:
        raise GraphError(131008, "The parameter template['name'] is required.")
    language = content.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        raise GraphError(131008, "The parameter template['language']['code'] is required.")


def _reaction(content: dict[str, Any]) -> None:
    if not isinstance(content.get("message_id"), str) or not content["message_id"]:
        raise GraphError(131008, "The parameter reaction['message_id'] is required.")
    if not isinstance(content.get("emoji"), str):
        raise GraphError(131008, "The parameter reaction['emoji'] is required.")


def _media(content: dict[str, Any]) -> None:
    if not (isinstance(content.get("id"), str) or isinstance(content.get("link"), str)):
        raise GraphError(131008, "A media object needs an 'id' or a 'link'")


def _any(_content: dict[str, Any]) -> None:
    return None


_CHECKS = {"text": _text, "interactive": _interactive, "template": _template, "reaction": _reaction}
