"""The window template: what a free-form message becomes when the 24-hour customer-service window
is closed (Meta only lets approved templates through then, error 131047 otherwise).

One template is configured (settings ``window_template_*``); its body has a single text parameter,
positional (``{{1}}``) or named, that receives the message's text. Meta refuses template
parameters with new lines, tabs or more than four spaces in a row, so the text is flattened, and
cut to 1024 characters.
"""

from __future__ import annotations

from typing import Any

from tasklane_sender import kinds
from tasklane_sender.repository import OutboundMessage
from tasklane_sender.settings import SenderSettings

PARAM_MAX = 1024
TEMPLATE = "template"
NO_TEMPLATE = "outside the 24-hour window and no template configured"


def sanitise(text: str) -> str:
    """One line, single spaces, at most ``PARAM_MAX`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= PARAM_MAX else flat[: PARAM_MAX - 1].rstrip() + "…"


def window_template(settings: SenderSettings, text: str) -> dict[str, Any]:
    """The configured template's content carrying ``text``."""
    assert settings.window_template_name
    parameter: dict[str, Any] = {"type": "text", "text": sanitise(text)}
    if settings.window_template_param_style == "named":
        parameter["parameter_name"] = settings.window_template_param_name
    return {
        "name": settings.window_template_name,
        "language": {"code": settings.window_template_language},
        "components": [{"type": "body", "parameters": [parameter]}],
    }


def fallback(message: OutboundMessage, settings: SenderSettings) -> tuple[str, dict[str, Any]] | None:
    """``message`` as the window template, or None when it cannot be one (see ``why_not``)."""
    if message.kind in (TEMPLATE, kinds.READ) or not settings.window_template_name:
        return None
    text = kinds.text_of(message.kind, message.content)
    if text is None:
        return None
    return TEMPLATE, window_template(settings, text)


def why_not(message: OutboundMessage, settings: SenderSettings) -> str:
    """Why ``fallback`` gave nothing: the reason a message outside the window fails with."""
    if not settings.window_template_name:
        return NO_TEMPLATE
    if message.kind == TEMPLATE:
        return "outside the 24-hour window: Meta refused the template too"
    return f"outside the 24-hour window: a {message.kind} message without text cannot become a template"
