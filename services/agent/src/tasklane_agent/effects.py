"""Writing what a workspace did to the outbox: its events, and the notices teammates must get
(rendered in each recipient's language and timezone, sent through the sender like any reply)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from tasklane_agent.domain.deadlines import zone
from tasklane_agent.engines.base import Button, Outgoing
from tasklane_agent.i18n import format_due, t
from tasklane_agent.outgoing import as_message
from tasklane_agent.workspace import Effects, Notice
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.envelope import Event

Publish = Callable[[Event, str], Awaitable[object]]


# What WhatsApp would turn into a link: a scheme, "www.", or a dotted name ending in letters.
_LINKISH = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)|\b(?:[\w-]+\.)+[a-z]{2,}\b")


def defang(text: str) -> str:
    """``text`` with what would become a link broken up ("example[.]com", "https[:]//"): a notice
    carries a teammate's words, and a link in them must not be one tap away."""

    def broken(match: re.Match[str]) -> str:
        return match.group(0).replace("://", "[:]//").replace(".", "[.]")

    return _LINKISH.sub(broken, text)


def render_notice(notice: Notice, now: datetime) -> str:
    params = {k: defang(v) if isinstance(v, str) else v for k, v in notice.params.items()}
    if notice.key == "notice_assigned":
        due_at = params.pop("due_at", None)
        has_time = bool(params.pop("due_has_time", False))
        tz = zone(notice.to.timezone)
        due = (
            format_due(datetime.fromisoformat(str(due_at)), has_time, tz, now, notice.to.lang)
            if due_at
            else ""
        )
        params["due"] = f" — {due}" if due else ""
    key = notice.key
    if key == "invite_question" and not params.get("who"):
        key = "invite_question_anon"  # the inviter has no phone number to show (a BSUID user)
    params["who"] = params.get("who") or t(notice.to.lang, "someone")
    return t(notice.to.lang, key, **params)


async def publish_effects(effects: Effects, publish: Publish, *, seed: str, now: datetime) -> None:
    """Publish ``effects`` through ``publish`` (an outbox write); ids derive from ``seed``."""
    for event, event_id in effects.events:
        await publish(event, event_id)
    for number, notice in enumerate(effects.notices):
        reply_id = deterministic_id("notice", seed, str(number))
        buttons = tuple(Button(id_, t(notice.to.lang, label)) for id_, label in notice.buttons)
        kind, content = as_message(Outgoing(render_notice(notice, now), buttons=buttons))
        await publish(
            ReplyRequested(
                reply_id=reply_id,
                phone_number_id=notice.to.org_id,
                to=notice.to.address,
                user_id=notice.to.user_id,
                kind=kind,
                content=content,
            ),
            reply_id,
        )
