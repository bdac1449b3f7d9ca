"""What analytics keeps of an event: the fields a figure needs, with people pseudonymised.

Analytics sees every event of the system, including what users wrote and their numbers. It keeps
none of that: each event type has a list of fields kept as they are and of fields naming a
person, which are replaced by a keyed pseudonym (HMAC-SHA256 under the analytics key). The same
person always gets the same pseudonym, so unique users stay exact, but without the key nobody can
test a guessed number against it (a plain hash of a phone number is reversed by enumerating the
numbering plan). Everything else, message text first, is dropped. Unknown event types keep no
payload at all: a new producer field is private until listed here.

Kept strings are cleaned too: NUL bytes (which PostgreSQL's JSONB refuses) and unpaired
surrogates go, and in free text (an error reason) any run of seven or more digits, a phone
number, is masked down to its last two. Meta's message ids (wamids) are pseudonymised like
people: they are base64 of a structure that holds the user's number.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any

# Identity fields replaced by pseudonyms, wherever they appear in a payload.
PERSONS = frozenset(
    {
        "user_id",
        "wa_id",
        "to",
        "recipient_id",
        "recipient_bsuid",
        "bsuid",
        "parent_bsuid",
        "old_wa_id",
        "new_wa_id",
        "actor_id",
        "owner_id",
        "assignee_id",
        # Meta's message ids are base64 of a structure holding the user's phone number.
        "wamid",
        "context_wamid",
        "in_reply_to",
    }
)
# Free text kept (Meta's error reasons, alert names): a phone number in it is masked. Ids are
# kept as they are (a phone number id is Meta's id of the business number, not a number).
FREE_TEXT = frozenset({"reason", "alert", "title", "field", "severity"})
_TIMES = ("sent_at", "received_at", "status_at", "at", "due_at")

# type -> fields kept (persons among them are pseudonymised). Nested objects are handled below.
KEPT: dict[str, tuple[str, ...]] = {
    "message.received": ("wamid", "phone_number_id", "user_id", "message_type", "interactive_type", *_TIMES),
    "status.received": (
        "wamid",
        "status",
        "phone_number_id",
        "recipient_id",
        "status_at",
        "errors",
        "pricing",
    ),
    "message.sent": ("reply_id", "wamid", "phone_number_id", "to", "at", "kind"),
    "message.delivered": ("reply_id", "wamid", "phone_number_id", "to", "at", "kind"),
    "message.read": ("reply_id", "wamid", "phone_number_id", "to", "at", "kind"),
    "message.failed": (
        "reply_id",
        "wamid",
        "phone_number_id",
        "to",
        "at",
        "kind",
        "error_code",
        "reason",
        "errors",
    ),
    "reply.requested": ("reply_id", "phone_number_id", "to", "user_id", "kind", "in_reply_to", "reminder"),
    "agent.replied": (
        "user_id",
        "in_reply_to",
        "intent",
        "engine",
        "processing_ms",
        "understood",
        "phone_number_id",
    ),
    "task.created": (
        "task_id",
        "user_id",
        "due_at",
        "due_has_time",
        "priority",
        "org_id",
        "project_id",
        "assignee_id",
        "recurrence",
    ),
    "task.updated": ("task_id", "user_id", "actor_id", "changes"),
    "task.completed": ("task_id", "user_id", "actor_id", "next_task_id"),
    "task.deleted": ("task_id", "user_id", "actor_id"),
    "user.unregistered": ("phone_number_id", "wa_id", "wamid", "bsuid", "prompted"),
    "message.throttled": ("wamid", "phone_number_id", "user_id", "received_at", "limit_per_minute"),
    "message.expired": ("wamid", "phone_number_id", "message_type", "sent_at", "received_at"),
    "user.number_changed": ("user_id", "phone_number_id", "old_wa_id", "new_wa_id"),
    "whatsapp.notification": ("field", "waba_id", "received_at"),
    "integration.number_configured": (
        "phone_number_id",
        "app_id",
        "waba_id",
        "state",
        "version",
        "display_phone_number",
    ),
    "sender.alert": ("severity", "alert", "phone_number_id", "error_code", "reason", "at"),
    "project.created": ("project_id", "org_id", "owner_id"),
    "project.member_added": ("project_id", "user_id", "actor_id"),
    "project.member_removed": ("project_id", "user_id", "actor_id"),
    "project.renamed": ("project_id", "actor_id"),
    "project.deleted": ("project_id", "actor_id"),
}
# Of a task's changes only what the figures read (the deadline and the status), never a title.
_TASK_CHANGES = ("due_at", "due_has_time", "status", "assignee_id")
_ERROR_FIELDS = ("code", "title")
_PRICING_FIELDS = ("category", "billable", "pricing_model", "type")
_DIGITS = re.compile(r"\+?\d[\d \-().]{5,}\d")
_CONTROL = re.compile("[\x00\ud800-\udfff]")
MAX_STRING = 500


def safe(text: str) -> str:
    """``text`` safe to store and to query: no NUL, no lone surrogate, bounded."""
    return _CONTROL.sub("", text)[:MAX_STRING]


def clean(text: str) -> str:
    """``safe`` free text, with any phone number in it masked to its last two digits."""
    text = safe(text)

    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return match.group(0) if len(digits) < 7 else "•" * (len(digits) - 2) + digits[-2:]

    return _DIGITS.sub(mask, text)


def mask_number(number: str) -> str:
    """A business phone number as shown to analysts: its last four digits only."""
    digits = re.sub(r"\D", "", number)
    return "•" * max(0, len(digits) - 4) + digits[-4:]


class Pseudonymizer:
    """Keyed pseudonyms of people: ``p_`` and 32 hex digits of HMAC-SHA256(key, identity)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the analytics pseudonym key must be at least 16 bytes")
        self._key = key

    def __call__(self, identity: str) -> str:
        if identity.startswith("p_") and len(identity) == 34:
            return identity  # already a pseudonym: scrubbing is idempotent (a replay, a recompute)
        # One-shot HMAC (C): a pseudonym per person field of every event of the system.
        digest = hmac.digest(self._key, identity.encode("utf-8", "surrogatepass"), "sha256")
        return "p_" + digest[:16].hex()


def _scalar(value: Any, *, free_text: bool = False) -> Any:
    if isinstance(value, str):
        return clean(value) if free_text else safe(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return None  # an object where a scalar belongs: not ours to keep


def _picked(source: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(source, Mapping):
        return {}
    return {k: _scalar(source[k], free_text=k in FREE_TEXT) for k in fields if k in source}


def scrub(event_type: str, payload: Mapping[str, Any], pseudonym: Pseudonymizer) -> dict[str, Any]:
    """The part of ``payload`` analytics keeps (see the module's docstring)."""
    out: dict[str, Any] = {}
    for name in KEPT.get(event_type, ()):
        if name not in payload:
            continue
        value = payload[name]
        if name in PERSONS:
            out[name] = pseudonym(str(value)) if isinstance(value, str | int) and value != "" else None
        elif name == "display_phone_number":
            out[name] = mask_number(str(value)) if value else None
        elif name == "errors":
            out[name] = [_picked(e, _ERROR_FIELDS) for e in value[:5]] if isinstance(value, list) else []
        elif name == "pricing":
            out[name] = _picked(value, _PRICING_FIELDS) if isinstance(value, Mapping) else None
        elif name == "changes":
            picked = _picked(value, _TASK_CHANGES)
            if isinstance(picked.get("assignee_id"), str):
                picked["assignee_id"] = pseudonym(picked["assignee_id"])
            out[name] = picked
        else:
            out[name] = _scalar(value, free_text=name in FREE_TEXT)
    return out
