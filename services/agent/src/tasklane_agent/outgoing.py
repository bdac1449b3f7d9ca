"""An engine's ``Outgoing`` as the Graph API message body the sender delivers.

WhatsApp's limits are applied here rather than failing at the sender: a button title is at most
20 characters and unique within its message, a list row title 24 and its description 72, the body
of a button message 1024 characters.
"""

from __future__ import annotations

from typing import Any

from tasklane_agent.engines.base import MAX_BUTTONS, MAX_ROWS, Outgoing

TEXT_MAX = 4096
BUTTON_BODY_MAX = 1024


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split()).replace("*", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unique(titles: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    unique = []
    for title in titles:
        candidate, n = _short(title, limit), 2
        while candidate in seen:
            suffix = f" ({n})"
            candidate, n = _short(title, limit - len(suffix)) + suffix, n + 1
        seen.add(candidate)
        unique.append(candidate)
    return unique


def _body(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_message(out: Outgoing) -> tuple[str, dict[str, Any]]:
    """(kind, content) of ``out`` for ``ReplyRequested``."""
    if out.buttons:
        buttons = out.buttons[:MAX_BUTTONS]
        titles = _unique([b.title for b in buttons], 20)
        return "interactive", {
            "type": "button",
            "body": {"text": _body(out.text, BUTTON_BODY_MAX)},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": b.id, "title": title}}
                    for b, title in zip(buttons, titles, strict=True)
                ]
            },
        }
    if out.rows:
        rows = out.rows[:MAX_ROWS]
        titles = _unique([r.title for r in rows], 24)
        return "interactive", {
            "type": "list",
            "body": {"text": _body(out.text, TEXT_MAX)},
            "action": {
                "button": _short(out.list_button or "Choose", 20),
                "sections": [
                    {
                        "rows": [
                            {"id": r.id, "title": title, "description": _short(r.description, 72)}
                            if r.description
                            else {"id": r.id, "title": title}
                            for r, title in zip(rows, titles, strict=True)
                        ]
                    }
                ],
            },
        }
    return "text", {"body": _body(out.text, TEXT_MAX), "preview_url": False}
