"""A ✅ (or 👍...) reaction to a message the assistant sent about one task marks that task done.

Three pieces, each in the transaction of what it follows:

1. When the agent writes a reply (a turn's answer, a reminder) it records, in ``reply_tasks``,
   which task the reply was about, if it was about exactly one (``subject_of``).
2. The sender reports every message it sent (``message.sent`` on ``agent.sent``) with the reply
   id and the wamid WhatsApp gave it; the wamid is attached to the row (an idempotent update).
3. A reaction (``MessageReceived.reaction``) names the wamid reacted to. A done-emoji added by the
   recipient of that reply completes the task through the reacting user's ``Workspace`` (only a
   task they may see and complete), and gets one short confirmation in their language.

Anything else stays silent and changes nothing, since every reply costs the business money: other
emoji, a reaction taken back, a reaction to a message about no task or several, to another user's
message, to one we do not know, or to a task already done (a duplicate, or a ✅ on a confirmation).

Rows are kept 30 days (less when the conversation memory is kept less), then pruned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import ConversationState, Profile
from tasklane_agent.domain.deadlines import zone
from tasklane_agent.engines.base import EngineReply, Outgoing
from tasklane_agent.i18n import format_due, t
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.replies import ReplySubjects
from tasklane_agent.storage.tables import reply_tasks
from tasklane_agent.workspace import Effects, Workspace, WorkspaceError
from tasklane_common.logging import get_logger
from tasklane_common.messaging import Consumer, HandlerContext
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageSent
from tasklane_common.messaging.topology import AGENT_SENT
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)

# The emoji that say "done", without their variation selector and skin tone ("👍🏽" is "👍").
DONE_EMOJI = frozenset({"✅", "👍", "✔", "☑", "👌", "🙌", "💪"})
_DECORATION = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
RETENTION = timedelta(days=30)
INTENT = "complete_task"
ENGINE = "reaction"


def means_done(emoji: object) -> bool:
    return isinstance(emoji, str) and _DECORATION.sub("", emoji.strip()) in DONE_EMOJI


def subject_of(focus_before: Sequence[str], state: ConversationState, effects: Effects) -> str | None:
    """The one task a turn's replies were about, if there was exactly one: the task it created or
    changed, else the task it showed (the focus it left, when it moved there this turn). A question
    (a pending choice or confirmation: "Delete *X*?") is about none: it is answered with its
    buttons or words, and a ✅ on it must not complete anything."""
    if state.pending is not None:
        return None
    changed = list(effects.before)
    if changed:
        return changed[0] if len(changed) == 1 else None
    if list(state.focus) != list(focus_before) and len(state.focus) == 1:
        return state.focus[0]
    return None


async def remember_replies(
    session: AsyncSession, replies: Sequence[ReplyRequested], task_id: str | None, now: datetime
) -> None:
    if task_id is not None:
        await ReplySubjects(session).remember(((r.reply_id, r.user_id, task_id) for r in replies), now)


def install(runtime: ServiceRuntime, settings: AgentSettings) -> None:
    """The ``agent.sent`` consumer and the pruning of ``reply_tasks``."""
    keep = min(RETENTION, timedelta(days=settings.memory_retention_days))
    runtime.retain(reply_tasks, aged_by=reply_tasks.c.created_at, key=reply_tasks.c.reply_id, keep=keep)
    consumer = runtime.consumer(AGENT_SENT)
    register(consumer)


def register(consumer: Consumer) -> None:
    @consumer.on(MessageSent)
    async def on_sent(ctx: HandlerContext, event: MessageSent) -> None:
        # Most replies are about no single task: the update then touches nothing. The inbox
        # makes a redelivery a no-op, and the update is idempotent anyway.
        if event.wamid:
            await ReplySubjects(ctx.session).attach_wamid(event.reply_id, event.wamid)


async def react(
    session: AsyncSession,
    workspace: Workspace,
    state: ConversationState,
    event: MessageReceived,
    profile: Profile,
) -> tuple[EngineReply, str] | None:
    """Complete the task a done-emoji reaction points at: the confirmation to send and the task
    it is about, or None (nothing changed, nothing to say). The caller writes the turn out."""
    reaction = event.reaction or {}
    wamid = reaction.get("message_id")
    if reaction.get("removed") or not means_done(reaction.get("emoji")) or not isinstance(wamid, str):
        return None
    # Known only once the sender reported the reply sent (``message.sent``): a reaction that
    # arrives before that finds no row and is ignored, like a reaction to a message we never
    # recorded. It is rare (a person reacts seconds after a message arrives at the earliest).
    task_id = await ReplySubjects(session).task_reacted_to(wamid, profile.user_id)
    if task_id is None:
        return None
    try:
        # Visibility holds: a task this user may no longer see (unshared, deleted) is NotFound.
        done, following = await workspace.tasks.complete_task(task_id)
    except WorkspaceError as exc:
        log.info("reaction_ignored", task_id=task_id, reason=exc.code)
        return None
    if done.id not in workspace.core.effects.before:
        return None  # done already: nothing changed, nothing to say
    lang = profile.lang
    lines = [t(lang, "reaction_completed", title=_bold(done.title))]
    if following is not None and following.due_at is not None:
        when = format_due(
            following.due_at, following.due_has_time, zone(profile.timezone), workspace.core.now, lang
        )
        next_one = f"{_bold(following.title)} — {t(lang, 'due', when=when)}"
        lines.append(t(lang, "next_occurrence", task=next_one))
    # "undo" puts it back, and "it" is this task, as after a typed "done".
    state.focus = [done.id]
    state.last_action = workspace.tasks.undo_record()
    return EngineReply(INTENT, [Outgoing("\n".join(lines))], ENGINE), done.id


def said(event: MessageReceived) -> str:
    """How a reaction is kept in the conversation's memory."""
    return f"[reaction {(event.reaction or {}).get('emoji')}]"


def _bold(title: str) -> str:
    return "*" + title.replace("*", "") + "*"
