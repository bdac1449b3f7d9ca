"""What the sender may send, checked against Meta's limits before anything leaves, and the Graph API
request body of each kind.

A reply whose content breaks a limit is refused when it is queued (``InvalidContent``): Meta would
answer 100/131008/131009 anyway, but only after the message waited its turn and cost a call. The
checks cover what Meta documents (reference §5); fields they do not know are passed through, so a
Graph API feature added later is not blocked here.

``read`` is not a message but a read receipt (optionally with the typing indicator): it has no
recipient, no wamid and no delivery statuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tasklane_sender import recipients
from tasklane_sender.repository import OutboundMessage

TEXT_MAX = 4096
CAPTION_MAX = 1024
MEDIA_KINDS = frozenset({"image", "audio", "video", "document", "sticker"})
# Media whose object may carry a caption (Meta ignores or rejects one on audio and stickers).
CAPTIONED = frozenset({"image", "video", "document"})
READ = "read"
# The typing indicator shows for up to 25 s; past 20 s after the message arrived it would
# promise a reply that is no longer imminent, so the receipt goes without it.
TYPING_WINDOW = timedelta(seconds=20)
TYPING_INDICATOR = {"type": "text"}
_PARAM_NAME = re.compile(r"[a-z0-9_]{1,512}")


class InvalidContent(ValueError):
    """The content of a reply breaks a rule of its kind; the message says which, for operators."""


class UnreadableAnswer(ValueError):
    """The Graph API said 2xx but not in the shape of an accepted send."""


# ---- validation ------------------------------------------------------------------------------


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidContent(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidContent(f"{where} must be a list")
    return value


def _text(value: Any, where: str, limit: int, *, required: bool = True, empty: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidContent(f"{where} is required and must be a string")
    if not value and not empty:
        raise InvalidContent(f"{where} must not be empty")
    if len(value) > limit:
        raise InvalidContent(f"{where} is {len(value)} characters long, at most {limit} are allowed")
    return value


def _text_block(content: dict[str, Any], key: str, limit: int, *, required: bool) -> None:
    """``{"text": "..."}`` objects: the body, header and footer of interactive messages."""
    block = content.get(key)
    if block is None and not required:
        return
    _text(_obj(block, key).get("text"), f"{key}.text", limit)


def _check_text(content: dict[str, Any]) -> None:
    _text(content.get("body"), "body", TEXT_MAX)
    if "preview_url" in content and not isinstance(content["preview_url"], bool):
        raise InvalidContent("preview_url must be true or false")


def _check_header(content: dict[str, Any], *, text_only: bool) -> None:
    header = content.get("header")
    if header is None:
        return
    header = _obj(header, "header")
    kind = header.get("type")
    if kind == "text":
        _text(header.get("text"), "header.text", 60)
    elif text_only:
        raise InvalidContent("a list message's header can only be text")
    elif kind in ("image", "video", "document"):
        _check_media_object(_obj(header.get(kind), f"header.{kind}"), f"header.{kind}")
    else:
        raise InvalidContent("header.type must be text, image, video or document")


def _check_buttons(content: dict[str, Any]) -> None:
    _check_header(content, text_only=False)
    _text_block(content, "body", 1024, required=True)
    _text_block(content, "footer", 60, required=False)
    buttons = _list(_obj(content.get("action"), "action").get("buttons"), "action.buttons")
    if not 1 <= len(buttons) <= 3:
        raise InvalidContent(f"a button message has 1 to 3 buttons, not {len(buttons)}")
    titles: set[str] = set()
    ids: set[str] = set()
    for n, button in enumerate(buttons, 1):
        button = _obj(button, f"button {n}")
        if button.get("type", "reply") != "reply":
            raise InvalidContent(f"button {n}: type must be reply")
        reply = _obj(button.get("reply"), f"button {n}.reply")
        title = _text(reply.get("title"), f"button {n} title", 20)
        button_id = _text(reply.get("id"), f"button {n} id", 256)
        if title in titles:
            raise InvalidContent(f"button titles must be unique: {title!r} appears twice")
        if button_id in ids:
            raise InvalidContent(f"button ids must be unique: {button_id!r} appears twice")
        titles.add(title or "")
        ids.add(button_id or "")


def _check_list(content: dict[str, Any]) -> None:
    _check_header(content, text_only=True)
    _text_block(content, "body", TEXT_MAX, required=True)
    _text_block(content, "footer", 60, required=False)
    action = _obj(content.get("action"), "action")
    _text(action.get("button"), "action.button", 20)
    sections = _list(action.get("sections"), "action.sections")
    if not 1 <= len(sections) <= 10:
        raise InvalidContent(f"a list message has 1 to 10 sections, not {len(sections)}")
    row_ids: set[str] = set()
    for s, section in enumerate(sections, 1):
        section = _obj(section, f"section {s}")
        # Meta requires a title on each section once there is more than one.
        _text(section.get("title"), f"section {s} title", 24, required=len(sections) > 1)
        rows = _list(section.get("rows"), f"section {s}.rows")
        if not rows:
            raise InvalidContent(f"section {s} has no rows")
        for r, row in enumerate(rows, 1):
            row = _obj(row, f"section {s} row {r}")
            row_id = _text(row.get("id"), f"section {s} row {r} id", 200) or ""
            _text(row.get("title"), f"section {s} row {r} title", 24)
            _text(row.get("description"), f"section {s} row {r} description", 72, required=False)
            if row_id in row_ids:
                raise InvalidContent(f"row ids must be unique: {row_id!r} appears twice")
            row_ids.add(row_id)
    if len(row_ids) > 10:
        raise InvalidContent(f"a list message has at most 10 rows in all, not {len(row_ids)}")


def _check_interactive(content: dict[str, Any]) -> None:
    kind = content.get("type")
    if kind == "button":
        _check_buttons(content)
    elif kind == "list":
        _check_list(content)
    elif isinstance(kind, str) and kind:
        # cta_url, flow, product... : Meta's own checks apply.
        _obj(content.get("action"), "action")
    else:
        raise InvalidContent("interactive.type is required (button, list, ...)")


def _check_parameters(parameters: list[Any], where: str) -> None:
    names: set[str] = set()
    named = positional = 0
    for n, parameter in enumerate(parameters, 1):
        parameter = _obj(parameter, f"{where} parameter {n}")
        kind = parameter.get("type")
        if not isinstance(kind, str) or not kind:
            raise InvalidContent(f"{where} parameter {n}: type is required")
        if kind == "text":
            # Meta's limits for a text parameter: 60 in a header, 32768 in a body.
            _text(
                parameter.get("text"),
                f"{where} parameter {n} text",
                60 if where == "header component" else 32768,
            )
        elif kind in ("image", "video", "document"):
            _check_media_object(_obj(parameter.get(kind), f"{where} parameter {n}"), f"{where} parameter {n}")
        elif kind in ("currency", "date_time", "location", "action") and not isinstance(
            parameter.get(kind), dict
        ):
            raise InvalidContent(f"{where} parameter {n}: {kind} must be an object")
        name = parameter.get("parameter_name")
        if name is None:
            positional += 1
            continue
        if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
            raise InvalidContent(
                f"{where} parameter {n}: parameter_name must be lowercase letters, digits and underscores"
            )
        if name in names:
            raise InvalidContent(f"{where}: parameter {name!r} appears twice")
        names.add(name)
        named += 1
    if named and positional:
        raise InvalidContent(f"{where}: parameters are either all named or all positional")


def _check_template(content: dict[str, Any]) -> None:
    _text(content.get("name"), "template name", 512)
    language = _obj(content.get("language"), "language")
    _text(language.get("code"), "language.code", 15)
    components = content.get("components")
    if components is None:
        return
    for c, component in enumerate(_list(components, "components"), 1):
        component = _obj(component, f"component {c}")
        kind = component.get("type")
        if kind not in ("header", "body", "footer", "button", "buttons", "carousel", "limited_time_offer"):
            raise InvalidContent(f"component {c}: unknown type {kind!r}")
        where = f"{kind} component"
        if kind == "button":
            if not isinstance(component.get("sub_type"), str):
                raise InvalidContent(f"component {c}: a button component needs a sub_type")
            index = component.get("index")
            if not (isinstance(index, int) or (isinstance(index, str) and index.isdigit())):
                raise InvalidContent(f"component {c}: a button component needs its index (0-9)")
            where = f"button {index} component"
        if "parameters" in component:
            _check_parameters(_list(component["parameters"], f"{where} parameters"), where)


def _check_reaction(content: dict[str, Any]) -> None:
    _text(content.get("message_id"), "reaction message_id", 256)
    # An empty emoji takes the reaction back.
    _text(content.get("emoji"), "reaction emoji", 16, empty=True)


def _check_media_object(content: dict[str, Any], where: str) -> None:
    media_id, link = content.get("id"), content.get("link")
    if not (isinstance(media_id, str) and media_id) and not (isinstance(link, str) and link):
        raise InvalidContent(f"{where} needs a media id or a link")
    if link is not None and not (isinstance(link, str) and link.startswith(("https://", "http://"))):
        raise InvalidContent(f"{where}: link must be an http(s) URL")


def _media_check(kind: str) -> Callable[[dict[str, Any]], None]:
    def check(content: dict[str, Any]) -> None:
        _check_media_object(content, kind)
        if "caption" in content:
            if kind not in CAPTIONED:
                raise InvalidContent(f"{kind} messages have no caption")
            _text(content["caption"], "caption", CAPTION_MAX)

    return check


def _check_location(content: dict[str, Any]) -> None:
    for key, bound in (("latitude", 90), ("longitude", 180)):
        value = content.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > bound:
            raise InvalidContent(f"location {key} must be a number within ±{bound}")


def _check_read(content: dict[str, Any]) -> None:
    _text(content.get("message_id"), "message_id", 256)
    typing = content.get("typing_indicator")
    if typing is not None and typing != TYPING_INDICATOR:
        raise InvalidContent('typing_indicator must be {"type": "text"}')


_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "text": _check_text,
    "interactive": _check_interactive,
    "template": _check_template,
    "reaction": _check_reaction,
    "location": _check_location,
    READ: _check_read,
    **{kind: _media_check(kind) for kind in MEDIA_KINDS},
}


def validate(kind: str, content: Any) -> None:
    """Raise ``InvalidContent`` if ``content`` cannot be sent as a ``kind`` message."""
    if kind == "contacts":
        # The one kind whose Graph object is a list; a reply carries it as {"contacts": [...]}.
        cards = _obj(content, "content").get("contacts")
        if not isinstance(cards, list) or not cards or not all(isinstance(c, dict) for c in cards):
            raise InvalidContent("contacts must be a non-empty list of contact cards")
        return
    check = _CHECKS.get(kind)
    if check is None:
        raise InvalidContent(f"unsupported message kind {kind!r}")
    check(_obj(content, "content"))


def text_of(kind: str, content: dict[str, Any]) -> str | None:
    """The words a free-form message says, for a template that carries them; None if it has none."""
    value: Any = None
    if kind == "text":
        value = content.get("body")
    elif kind == "interactive":
        body = content.get("body")
        value = body.get("text") if isinstance(body, dict) else None
    elif kind in CAPTIONED:
        value = content.get("caption")
    return value if isinstance(value, str) and value.strip() else None


# ---- the Graph API call ----------------------------------------------------------------------


def request_body(message: OutboundMessage, *, now: datetime) -> dict[str, Any]:
    """The JSON body of ``POST /{phone_number_id}/messages`` for ``message``, sent at ``now``."""
    content = message.content
    if message.kind == READ:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": content["message_id"],
        }
        # A receipt's created_at is when the message reached us.
        if content.get("typing_indicator") and now - message.created_at <= TYPING_WINDOW:
            body["typing_indicator"] = dict(TYPING_INDICATOR)
        return body
    payload: Any = content["contacts"] if message.kind == "contacts" else content
    # A user known only by their business-scoped id is addressed by ``recipient`` (Meta: ``to``
    # wins when both are given, so exactly one goes); a phone number by ``to``, as always.
    address = {"recipient": message.to} if recipients.is_bsuid(message.to) else {"to": f"+{message.to}"}
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **address,
        "type": message.kind,
        message.kind: payload,
        # Echoed by Meta in every status of this message: it names the row even when the answer
        # carrying the wamid was lost.
        "biz_opaque_callback_data": message.reply_id,
    }


def accepted_wamid(kind: str, answer: Any) -> str | None:
    """The wamid of an accepted send (None for a read receipt, which has none); raises
    ``UnreadableAnswer`` when a 2xx answer does not say what it accepted."""
    if kind == READ:
        if isinstance(answer, dict) and answer.get("success") is True:
            return None
        raise UnreadableAnswer("Graph API answered 2xx to a read receipt without success: true")
    try:
        wamid = answer["messages"][0]["id"]
    except (KeyError, IndexError, TypeError):
        raise UnreadableAnswer("Graph API answered 2xx without a message id") from None
    if not isinstance(wamid, str) or not wamid:
        raise UnreadableAnswer("Graph API answered 2xx without a message id")
    return wamid
