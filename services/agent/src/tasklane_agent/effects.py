"""Writing what a workspace did to the outbox: its events, and the notices teammates must get
(rendered in each recipient's language and timezone, sent through the sender like any reply)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from tasklane_agent.deadlines import zone
from tasklane_agent.i18n import format_due, t
from tasklane_agent.workspace import Effects, Notice
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.envelope import Event

Publish = Callable[[Event, str], Awaitable[object]]


def render_notice(notice: Notice, now: datetime) -> str:
    params = dict(notice.params)
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
    params["who"] = params.get("who") or t(notice.to.lang, "someone")
    return t(notice.to.lang, notice.key, **params)


async def publish_effects(effects: Effects, publish: Publish, *, seed: str, now: datetime) -> None:
    """Publish ``effects`` through ``publish`` (an outbox write); ids derive from ``seed``."""
    for event, event_id in effects.events:
        await publish(event, event_id)
    for number, notice in enumerate(effects.notices):
        reply_id = deterministic_id("notice", seed, str(number))
        await publish(
            ReplyRequested(
                reply_id=reply_id,
                phone_number_id=notice.to.org_id,
                to=notice.to.address,
                user_id=notice.to.user_id,
                kind="text",
                content={"body": render_notice(notice, now), "preview_url": False},
            ),
            reply_id,
        )
